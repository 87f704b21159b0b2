/* Camera object classifier: camfeat vector -> P(drone, bird, airplane, helicopter,
 * clutter), a small multilayer perceptron trained offline (tools/train-camera.sh) and
 * run here in C on the real-time path.
 *
 * Model file (JSON, written by tools/train_camera.py; docs/camera.md):
 *   {"format": "skyguard-camcls", "version": 1,
 *    "features": [1..CAMFEAT_N distinct names of camfeat_name: the inputs, in the model's
 *                 order; a model may use a subset, e.g. one trained before features
 *                 were added],
 *    "classes": ["drone", "bird", "airplane", "helicopter", "clutter"],
 *    "mean": [n features], "scale": [n features],    z = (x[feature] - mean) / scale
 *    "layers": [{"W": [[in] x out], "b": [out]}, ...], ReLU between layers, last linear
 *    "temperature": T > 0}                             p = softmax(logits / T)
 * T is fitted on clips held out from the weights (calibration), so p of the chosen
 * class is a calibrated confidence. Limits: 1..4 layers, widths 1..256.
 * A loaded model is read-only: camcls_predict is thread-safe and never allocates. */
#ifndef CAMCLS_H
#define CAMCLS_H

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

typedef struct camcls camcls;

/* Loads a model file; NULL + e naming the file and the bad member on error. */
camcls *camcls_load(const char *path, sg_errinfo *e);
/* Same from a parsed document; `where` names it in errors. */
camcls *camcls_from_json(const cJSON *doc, const char *where, sg_errinfo *e);
void camcls_destroy(camcls *m);

/* p[CAMCLS_N] = calibrated class probabilities (sum 1); returns the argmax class.
 * Non-finite features are treated as the training mean (0 after scaling); activations
 * are bounded to +-1e6 so extreme inputs still give finite probabilities. */
int camcls_predict(const camcls *m, const float x[CAMFEAT_N], double p[CAMCLS_N]);

/* "drone", "bird", "airplane", "helicopter", "clutter"; NULL out of range. */
const char *camcls_name(int k);

#endif
