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

#endif
