/** Kept equal to package.json's version by a test; read here without I/O at start-up. */
export const VERSION = '0.1.0';
export const USER_AGENT = `zwh/${VERSION}`;
