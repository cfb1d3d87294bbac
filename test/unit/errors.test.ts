import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CancelledError, ConflictError, DatabaseTooNewError, DatabaseUnusableError, EXIT_CODES, NotFoundError,
  OperationFailedError, PayloadTooLargeError, UsageError, ValidationError, ZwhError, type ErrorCode,
} from '../../src/domain/errors.js';
import { reportError } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';

const classes: [ErrorCode, ZwhError][] = [
  ['ZWH_USAGE', new UsageError('u')],
  ['ZWH_INVALID', new ValidationError('v')],
  ['ZWH_INVALID', new PayloadTooLargeError('p')],
  ['ZWH_CONFLICT', new ConflictError('c')],
  ['ZWH_DB_UNUSABLE', new DatabaseUnusableError('d')],
  ['ZWH_DB_TOO_NEW', new DatabaseTooNewError('n')],
  ['ZWH_NOT_FOUND', new NotFoundError('nf')],
  ['ZWH_FAILED', new OperationFailedError('f')],
  ['ZWH_CANCELLED', new CancelledError()],
];

function fakeIo(env: NodeJS.ProcessEnv = {}): Io & { err: () => string } {
  let err = '';
  return {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (err += s) },
    stdin: process.stdin,
    env,
    onSignal: () => () => {},
    exitNow: () => { throw new Error('exit'); },
    err: () => err,
  };
}

describe('error codes', () => {
  it('maps every code to the exit code of SPEC §3', () => {
    assert.deepEqual(EXIT_CODES, {
      ZWH_USAGE: 2, ZWH_INVALID: 2, ZWH_CONFLICT: 2, ZWH_DB_UNUSABLE: 2, ZWH_DB_TOO_NEW: 2,
      ZWH_NOT_FOUND: 3, ZWH_FAILED: 1, ZWH_CANCELLED: 130,
    });
  });

  for (const [code, err] of classes) {
    it(`${err.constructor.name} carries ${code} and exits ${EXIT_CODES[code]}`, () => {
      assert.equal(err.code, code);
      assert.equal(err.exitCode, EXIT_CODES[code]);
      const io = fakeIo();
      assert.equal(reportError(err, io), EXIT_CODES[code]);
      assert.equal(io.err(), `zwh: ${err.message}\n`);
    });
  }

  it('every code in the table has a class that raises it', () => {
    assert.deepEqual(new Set(classes.map(([c]) => c)), new Set(Object.keys(EXIT_CODES)));
  });

  it('reports anything else as an internal error, exit 1, stack only under ZWH_DEBUG=1', () => {
    const quiet = fakeIo();
    assert.equal(reportError(new TypeError('boom'), quiet), 1);
    assert.match(quiet.err(), /internal error/);
    assert.ok(!quiet.err().includes('TypeError'));
    const debug = fakeIo({ ZWH_DEBUG: '1' });
    reportError(new TypeError('boom'), debug);
    assert.match(debug.err(), /TypeError: boom/);
  });
});
