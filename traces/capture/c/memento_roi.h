/* Region-of-interest and invocation markers for traced programs.
 * Under `memento capture` (Valgrind) each call is a client request; under
 * `memento capture --alloc-only` it reaches the preload shim; otherwise it
 * does nothing and costs a few instructions. */
#ifndef MEMENTO_ROI_H
#define MEMENTO_ROI_H

#ifdef __cplusplus
extern "C" {
#endif

void memento_roi_begin(void);
void memento_roi_end(void);
void memento_invocation_begin(unsigned long long id);
void memento_invocation_end(unsigned long long id);

#ifdef __cplusplus
}
#endif

#endif
