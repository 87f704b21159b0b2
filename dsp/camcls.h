/* Camera object classifier: camfeat vector -> P(drone, bird, airplane, helicopter,
 * clutter), a small multilayer perceptron trained offline (tools/train-camera.sh) and
 * run here in C on the real-time path.
 *
 * Model file (JSON, written by tools/train_camera.py; docs/camera.md):
 *   {"format": "skyguard-camcls", "version": 1 or 2 (2: may have "cnn"),
 *    "features": [1..CAMFEAT_N distinct names of camfeat_name: the inputs, in the model's
 *                 order; a model may use a subset, e.g. one trained before features
 *                 were added],
 *    "classes": ["drone", "bird", "airplane", "helicopter", "clutter"],
 *    "mean": [n features], "scale": [n features],    z = (x[feature] - mean) / scale
 *    "layers": [{"W": [[in] x out], "b": [out]}, ...], ReLU between layers, last linear
 *    "temperature": T > 0,                             p = softmax(logits / T)
 *    "drone_min_conf": P  optional, 0..1: the operating point chosen for this model on
 *                   the calib clips (P(drone) needed to publish "drone"); a camera whose
 *                   config sets no drone_min_conf uses it (camera_drone_min_conf),
 *    "cnn": {...}}  optional, version 2: an appearance branch on the crops of
 *                   camfeat_crops: "size" 16, "channels" 1..CAMCROP_SCALES (the
 *                   first windows: 2 = the 2x and 4x windows, 3 = also the 8x one),
 *                   "conv": [1..3 of {"W": [cout
 *                   rows of cin*9 (in, ky, kx)], "b": [cout]}] each 3x3 conv (zero pad 1),
 *                   ReLU, 2x2 max-pool; then flatten (channel, row, col) and "embed":
 *                   {"W": [ne rows of flat], "b": [ne]} with ReLU, ne <= 64. The first
 *                   layer's input is then the n scaled features followed by the ne
 *                   embedding values. Cost (2-8-16 channels, ne 16): ~0.13 M multiply-adds.
 * T is fitted on clips held out from the weights (calibration), so p of the chosen
 * class is a calibrated confidence. Limits: 1..4 layers, widths 1..256.
 *
 * Ensemble file (several networks of the same data, e.g. trained with other seeds):
 *   {"format": "skyguard-camcls-ensemble", "version": 1,
 *    "members": [1..CAMCLS_MAX_MEMBERS model documents as above], "trained": {...},
 *    "drone_min_conf": P  optional, as above; the members' own values are not used}
 * p = the mean of the members' calibrated probabilities; each member is validated as a
 * model file, errors name it (e.g. "camcls.json: members[1].temperature: ...").
 * A loaded model is read-only: camcls_predict is thread-safe and never allocates (the
 * CNN branch uses 96 kB of thread-local scratch). */
#ifndef CAMCLS_H
#define CAMCLS_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "camfeat.h"
#include "sg_error.h"

typedef enum {
    CAMCLS_DRONE = 0,
    CAMCLS_BIRD,
    CAMCLS_AIRPLANE,
    CAMCLS_HELICOPTER,
    CAMCLS_CLUTTER,
    CAMCLS_N
} camcls_class;

#define CAMCLS_MAX_MEMBERS 8

typedef struct camcls camcls;

/* Loads a model file; NULL + e naming the file and the bad member on error. */
camcls *camcls_load(const char *path, sg_errinfo *e);
/* Same from a parsed document; `where` names it in errors. */
camcls *camcls_from_json(const cJSON *doc, const char *where, sg_errinfo *e);
void camcls_destroy(camcls *m);

/* true if the model has an appearance branch (a "cnn" member) that reads crops. */
bool camcls_uses_crops(const camcls *m);
/* Crop windows the model reads (the most "channels" of its members' "cnn"; 0 without
 * one): camfeat_crops_n with this many gives the same probabilities as all windows. */
int camcls_crop_channels(const camcls *m);
/* Networks averaged: 1 for a model file, the member count for an ensemble. */
int camcls_members(const camcls *m);

/* p[CAMCLS_N] = calibrated class probabilities (sum 1; an ensemble's mean over its
 * members); returns the argmax class.
 * Non-finite features are treated as the training mean (0 after scaling); activations
 * are bounded to +-1e6 so extreme inputs still give finite probabilities. */
int camcls_predict(const camcls *m, const float x[CAMFEAT_N], double p[CAMCLS_N]);
/* Same with the detection's appearance crops (camfeat_crops, CAMCROP_N values; NULL or
 * a features-only model: the embedding is 0). Non-finite crop values count as 0. */
int camcls_predict_crop(const camcls *m, const float x[CAMFEAT_N], const float *crop,
                        double p[CAMCLS_N]);

/* The file's "drone_min_conf" (0..1), or -1 when it has none (or m is NULL). */
double camcls_drone_min_conf(const camcls *m);

/* "drone", "bird", "airplane", "helicopter", "clutter"; NULL out of range. */
const char *camcls_name(int k);

#endif
