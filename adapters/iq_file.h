/* File replay adapters (SigMF and raw IQ); use them through sg_iq_adapter_find(). */
#ifndef SG_IQ_FILE_H
#define SG_IQ_FILE_H

#include "sg_adapter.h"
#include "sigmf.h"

extern const sg_iq_adapter sg_adapter_sigmf;
extern const sg_iq_adapter sg_adapter_raw;
/* The metadata of an open "sigmf" or "raw" adapter state (captures, annotations,
 * rate), e.g. to score detections against ground truth. Valid until close. */
const sigmf_meta *sg_adapter_file_meta(void *state);

/* One line of replay progress for a terminal (no newline), e.g.
 * " 42.1%   6.45 Ms  3.2x real time  0 bad"; percentage omitted when unknown (stdin).
 * elapsed_s: wall time since run() started. Libraries never print: the app does. */
void sg_adapter_progress_format(const sg_adapter_stats *s, double sample_rate, double elapsed_s,
                                char *out, size_t cap);

#endif
