// The channel ↔ owner framing: frames survive any cut of the byte stream, frames of one turn of
// the event loop leave in one write, and a peer sending an impossible length is refused.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  encodeFrame,
  FRAME_BODY_BYTES_MAX,
  type Frame,
  FrameReader,
  FrameWriter,
  FramingError,
} from './framing.ts';

const frames: Frame[] = [
  { id: 1, kind: 1, status: 0, body: text('{"path":"/mpesa/b2c/v3/paymentrequest","subject":7}') },
  { id: 2, kind: 101, status: 409, body: text('{"errorCode":"400.002.02"}') },
  { id: 0xffff_fffe, kind: 102, status: 200, body: text('CON Karibu — Ksh1,000.00 ✓') },
  { id: 4, kind: 3, status: 0, body: text('') },
  { id: 5, kind: 5, status: 0, body: Buffer.from([0, 0xff, 0x80, 0, 7]) },
];

function text(body: string): Buffer {
  return Buffer.from(body, 'utf8');
}

describe('framing', () => {
  test('frames come back whole however the stream is cut', () => {
    const stream = Buffer.concat(frames.map(encodeFrame));
    for (const size of [1, 2, 3, 7, 11, 64, stream.length]) {
      const got: Frame[] = [];
      const reader = new FrameReader((frame) => got.push(frame));
      for (let at = 0; at < stream.length; at += size) reader.push(stream.subarray(at, at + size));
      assert.deepEqual(got, frames, `chunks of ${size} bytes`);
    }
  });

  test('frames pushed in one turn leave in one write; the next turn starts a new batch', async () => {
    const writes: Buffer[] = [];
    const writer = new FrameWriter({ write: (data) => writes.push(data) > 0 });
    for (const frame of frames.slice(0, 3)) writer.push(frame);
    assert.equal(writes.length, 0, 'nothing is written before the turn ends');
    await nextTurn();
    // A text body is sent as UTF-8, a binary one as it is.
    writer.push({ ...(frames[3] as Frame), body: '' });
    writer.push(frames[4] as Frame);
    await nextTurn();
    assert.equal(writes.length, 2);
    assert.deepEqual(writer.counters, { frames: 5, batches: 2 });
    const got: Frame[] = [];
    const reader = new FrameReader((frame) => got.push(frame));
    for (const write of writes) reader.push(write);
    assert.deepEqual(got, frames);
  });

  test('a length no peer of ours sends is a FramingError, and bodies over the limit are refused', () => {
    const reader = new FrameReader(() => assert.fail('no frame expected'));
    const bogus = Buffer.alloc(8);
    bogus.writeUInt32BE(FRAME_BODY_BYTES_MAX + 100, 0);
    assert.throws(() => reader.push(bogus), FramingError);
    // Shorter than a header: no id, kind or status to read.
    const short = Buffer.alloc(8);
    short.writeUInt32BE(3, 0);
    assert.throws(() => new FrameReader(() => {}).push(short), FramingError);
    // The largest length of all (a peer sending 0xffffffff) is refused before any allocation.
    assert.throws(() => new FrameReader(() => {}).push(Buffer.alloc(4, 0xff)), FramingError);
    assert.throws(
      () => encodeFrame({ id: 1, kind: 1, status: 0, body: 'x'.repeat(FRAME_BODY_BYTES_MAX + 1) }),
      RangeError,
    );
    assert.throws(
      () =>
        encodeFrame({ id: 1, kind: 4, status: 0, body: Buffer.alloc(FRAME_BODY_BYTES_MAX + 1) }),
      RangeError,
    );
  });

  test('a frame cut short waits for the rest and yields nothing', () => {
    const got: Frame[] = [];
    const reader = new FrameReader((frame) => got.push(frame));
    const whole = encodeFrame(frames[4] as Frame);
    reader.push(whole.subarray(0, whole.length - 1));
    assert.deepEqual(got, []);
    reader.push(whole.subarray(whole.length - 1));
    assert.deepEqual(got, [frames[4]]);
  });
});
