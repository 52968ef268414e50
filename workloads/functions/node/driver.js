// Runs one Node function of the suite N times in this process and prints
// one line per invocation: `memento-invocation ID cold|warm NANOSECONDS RESULT`.
//
//   node driver.js NAME [--invocations N]
//
// Invocation 0 is the cold start: it requires the function's module (and
// its packages), builds the seeded input and calls the handler. Markers come
// from the capture tool's `memento_roi` module (on NODE_PATH under
// `memento capture`); without it they do nothing. V8 allocates JavaScript
// objects in its own heap, invisible to malloc tracing: a Node trace shows
// V8's memory accesses but only the allocations V8 asks of malloc and mmap.
'use strict';

const path = require('path');

let roi;
try {
  roi = require('memento_roi');
} catch (e) {
  roi = { roiBegin() {}, roiEnd() {}, invocationBegin() {}, invocationEnd() {} };
}

function main() {
  const args = process.argv.slice(2);
  const name = args[0];
  let invocations = 1;
  const flag = args.indexOf('--invocations');
  if (flag >= 0) invocations = Number(args[flag + 1]);
  if (!name || !Number.isInteger(invocations) || invocations < 1) {
    process.stderr.write('usage: node driver.js NAME [--invocations N >= 1]\n');
    process.exit(2);
  }
  let fn = null;
  let input = null;
  roi.roiBegin();
  for (let i = 0; i < invocations; i++) {
    roi.invocationBegin(i);
    const start = process.hrtime.bigint();
    if (fn === null) {
      fn = require(path.join(__dirname, name));
      input = fn.makeInput();
    }
    const result = fn.handler(input);
    const elapsed = process.hrtime.bigint() - start;
    roi.invocationEnd(i);
    process.stdout.write(`memento-invocation ${i} ${i === 0 ? 'cold' : 'warm'} ${elapsed} ${result}\n`);
  }
  roi.roiEnd();
}

main();
