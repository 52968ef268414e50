// zlib deflate and inflate of seeded text (the Node counterpart of the
// Python zlib function).
'use strict';

const crypto = require('crypto');
const zlib = require('zlib');
const rng = require('./rng');

const WORDS = ['serverless', 'function', 'invocation', 'memory', 'allocator', 'arena', 'page'];

exports.makeInput = function makeInput() {
  const next = rng(43);
  const words = [];
  for (let i = 0; i < 60000; i++) words.push(WORDS[next(WORDS.length)] + next(100));
  return Buffer.from(words.join(' '));
};

exports.handler = function handler(data) {
  const packed = zlib.deflateSync(data, { level: 6 });
  const back = zlib.inflateSync(packed);
  if (!back.equals(data)) throw new Error('zlib round trip failed');
  // The compressed size depends on the zlib build; the round trip does not.
  return `bytes=${back.length} sha=${crypto.createHash('sha256').update(back).digest('hex').slice(0, 12)}`;
};
