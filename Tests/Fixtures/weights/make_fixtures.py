"""Writes the weight-file fixtures of this folder with the real `safetensors` and `numpy`
packages (no PyTorch needed: safetensors.numpy.save_file writes what torch's save_file writes).
Run from this folder: python3 make_fixtures.py"""
import numpy as np
from safetensors.numpy import save_file

rng = np.random.default_rng(20261203)

def f16(shape):
    # float16 values; the float32 copies below hold exactly the same numbers
    return rng.uniform(-1, 1, shape).astype(np.float16)

def f32(shape):
    return rng.uniform(-1, 1, shape).astype(np.float32)

# A small PyTorch-style model: a full conv, a depthwise-separable block (dw with bias, then 1x1),
# a second depthwise layer (5x5, M = 4 on 3 channels), a classifier, and an int64 counter.
sd = {
    "features.0.weight": f32((8, 3, 3, 3)),          # Conv2d(3, 8, 3): not depthwise
    "features.1.dw.weight": f32((6, 1, 3, 3)),       # Conv2d(3, 6, 3, groups=3)
    "features.1.dw.bias": f16((6,)),
    "features.1.pw.weight": f16((4, 6, 1, 1)),       # Conv2d(6, 4, 1)
    "features.1.pw.bias": f32((4,)),
    "features.2.weight": f16((12, 1, 5, 5)),         # Conv2d(3, 12, 5, groups=3), no bias
    "classifier.weight": f32((10, 4)),
    "bn.num_batches_tracked": np.array(7, dtype=np.int64),
}
save_file(sd, "model.safetensors", metadata={"format": "pt"})
# The same state_dict as numpy.savez writes it (names as keys).
np.savez("model_state_dict.npz", **{k: v.astype(np.float32) if v.dtype == np.float16 else v
                                   for k, v in sd.items() if v.dtype != np.int64})
# The same weights as plain .npy files (float32), PyTorch layout.
for name in ["features.1.dw.weight", "features.1.pw.weight", "features.2.weight"]:
    np.save(name.replace(".", "_") + ".npy", sd[name].astype(np.float32))

# The reference: the separable block on a small input, computed here with numpy (PyTorch
# semantics: cross-correlation, zero padding 1, groups = 3), written as [1, H, W, O].
x = rng.uniform(0, 1, (7, 9, 3)).astype(np.float32)
np.save("input_7x9x3.npy", x)
dw = sd["features.1.dw.weight"].astype(np.float64)
b1 = sd["features.1.dw.bias"].astype(np.float64)
pw = sd["features.1.pw.weight"].astype(np.float64)[:, :, 0, 0]
b2 = sd["features.1.pw.bias"].astype(np.float64)
xp = np.pad(x.astype(np.float64), ((1, 1), (1, 1), (0, 0)))
h, w = x.shape[:2]
mid = np.zeros((h, w, 6))
for k in range(6):
    c = k // 2                                        # groups = 3: outputs 2c, 2c+1 read channel c
    for i in range(3):
        for j in range(3):
            mid[:, :, k] += dw[k, 0, i, j] * xp[i:i + h, j:j + w, c]
    mid[:, :, k] += b1[k]
out = mid @ pw.T + b2
np.save("expected_features1.npy", out[None].astype(np.float32))

# Keras get_weights() order saved positionally: SeparableConv2D(4, 3, depth_multiplier=2) and
# DepthwiseConv2D(3, depth_multiplier=2), TensorFlow layout.
kdw, kpw, kb = f32((3, 3, 3, 2)), f32((1, 1, 6, 4)), f32((4,))
np.savez("keras_separable_positional.npz", kdw, kpw, kb)
np.savez("keras_separable_named.npz", depthwise_kernel=kdw, pointwise_kernel=kpw, bias=kb)
np.savez("keras_depthwise_positional.npz", kdw, f32((6,)))
