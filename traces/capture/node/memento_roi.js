// Region-of-interest and invocation markers for Node functions traced by
// `memento capture`:
//
//   const roi = require('memento_roi');
//   roi.roiBegin(); roi.invocationBegin(1); handler(event);
//   roi.invocationEnd(1); roi.roiEnd();
//
// The calls reach the memento_roi.node addon, found through the
// MEMENTO_ROI_NODE variable that `memento capture` sets (and NODE_PATH puts
// this file in reach). Without it every call does nothing. V8 allocates
// JavaScript objects in its own heap: the trace sees V8's accesses but not
// its object allocations, only what V8 asks of malloc and mmap.
'use strict';

let native = null;
if (process.env.MEMENTO_ROI_NODE) {
  try {
    native = require(process.env.MEMENTO_ROI_NODE);
  } catch (e) {
    native = null;
  }
}

module.exports = {
  roiBegin() { if (native) native.roiBegin(); },
  roiEnd() { if (native) native.roiEnd(); },
  invocationBegin(id) { if (native) native.invocationBegin(id); },
  invocationEnd(id) { if (native) native.invocationEnd(id); },
};
