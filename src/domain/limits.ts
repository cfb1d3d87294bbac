export const ATTEMPT_TIMEOUT_MS = 5_000;
export const RETRY_DELAYS_MS: readonly number[] = [1_000, 5_000, 30_000];
export const MAX_PAYLOAD_BYTES = 256 * 1024;
export const RESPONSE_EXCERPT_BYTES = 4 * 1024;
export const MAX_NAME_LENGTH = 100;
export const MAX_URL_LENGTH = 2_048;
export const MAX_EVENT_ID_LENGTH = 200;
