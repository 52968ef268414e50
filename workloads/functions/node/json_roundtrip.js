// JSON.stringify + JSON.parse of seeded records (the Node counterpart of
// FunctionBench json_dumps_loads).
'use strict';

const crypto = require('crypto');
const rng = require('./rng');

exports.makeInput = function makeInput() {
  const next = rng(44);
  const records = [];
  for (let i = 0; i < 3000; i++) {
    records.push({ id: i, name: `n${next(1e6)}`, score: next(1e6) / 1000, tags: [`t${next(9)}`, `t${next(9)}`], nested: { x: next(999) } });
  }
  return JSON.stringify(records);
};

exports.handler = function handler(text) {
  const records = JSON.parse(text);
  for (const r of records) r.score = Math.round(r.score * 2000) / 1000;
  const out = JSON.stringify(records);
  return crypto.createHash('sha256').update(out).digest('hex').slice(0, 16);
};
