"""Writes borders.json: independent references for filterbank's border modes.

Run from this directory with NumPy and SciPy installed:  python3 make_fixtures.py
Nothing here uses filterbank; every expected value comes from numpy.pad or
scipy.ndimage.correlate.
"""
import json
import numpy as np
import scipy
import scipy.ndimage as ndi

# filterbank mode -> the library names that mean the same thing
NUMPY = {"zero": "constant", "replicate": "edge", "reflect": "reflect", "symmetric": "symmetric", "wrap": "wrap"}
SCIPY = {"zero": "constant", "replicate": "nearest", "reflect": "mirror", "symmetric": "reflect", "wrap": "grid-wrap"}

def f32_list(a):
    return [float(np.float32(v)) for v in np.asarray(a, dtype=np.float32).ravel()]

# 1. Index mapping: numpy.pad of 0..n-1 with (before, after) pads, including pads
#    several times larger than the axis. -1 stands for a zero (constant mode).
indices = []
for n in [1, 2, 3, 4, 5]:
    for before, after in [(0, 0), (1, 1), (2, 3), (4, 0), (0, 7), (9, 11), (13, 2)]:
        for mode, np_mode in NUMPY.items():
            src = np.arange(n)
            if mode == "zero":
                got = np.pad(src, (before, after), mode="constant", constant_values=-1)
            else:
                got = np.pad(src, (before, after), mode=np_mode)
            indices.append({"size": n, "before": before, "after": after, "mode": mode,
                            "numpy_mode": np_mode, "indices": [int(v) for v in got]})

# 2. Whole convolutions: pad the image with numpy.pad (per channel), then a VALID
#    cross-correlation written as a plain sum over taps (float64), strides and
#    dilations included. Explicit pads, some larger than the image.
rng = np.random.default_rng(20260429)
convs = []
shapes = [
    # H, W, C, M, kh, kw, (top, bottom, left, right), strides, dilations
    (5, 6, 2, 1, 3, 3, (1, 1, 1, 1), (1, 1), (1, 1)),
    (4, 7, 1, 2, 3, 5, (1, 2, 2, 2), (1, 1), (1, 1)),
    (3, 3, 1, 1, 3, 3, (5, 6, 7, 4), (1, 1), (1, 1)),     # pads larger than the image
    (2, 5, 3, 1, 3, 3, (4, 4, 6, 6), (2, 1), (1, 2)),     # larger pads, stride, dilation
    (6, 4, 1, 3, 2, 4, (0, 9, 3, 0), (1, 2), (2, 1)),
    (1, 4, 2, 1, 3, 3, (3, 3, 2, 2), (1, 1), (1, 1)),     # a one-row image
    (7, 1, 1, 1, 5, 1, (2, 2, 3, 3), (1, 1), (1, 1)),     # a one-column image
]
for (h, w, c, m, kh, kw, pads, strides, dil) in shapes:
    t, b, l, r = pads
    x = rng.uniform(-1, 1, size=(h, w, c)).astype(np.float32)
    f = rng.uniform(-1, 1, size=(kh, kw, c, m)).astype(np.float32)
    for mode, np_mode in NUMPY.items():
        xp = np.pad(x.astype(np.float64), ((t, b), (l, r), (0, 0)), mode=np_mode)
        ekh, ekw = (kh - 1) * dil[0] + 1, (kw - 1) * dil[1] + 1
        ho = (h + t + b - ekh) // strides[0] + 1
        wo = (w + l + r - ekw) // strides[1] + 1
        out = np.zeros((ho, wo, c * m))
        for y in range(ho):
            for xx in range(wo):
                for ci in range(c):
                    for mi in range(m):
                        s = 0.0
                        for i in range(kh):
                            for j in range(kw):
                                s += xp[y * strides[0] + i * dil[0], xx * strides[1] + j * dil[1], ci] * float(f[i, j, ci, mi])
                        out[y, xx, ci * m + mi] = s
        convs.append({"name": f"{mode} {h}x{w}x{c} k{kh}x{kw} M{m} pads {list(pads)} s{list(strides)} d{list(dil)}",
                      "mode": mode, "numpy_mode": np_mode,
                      "input": {"shape": [1, h, w, c], "values": f32_list(x)},
                      "depthwise": {"shape": [kh, kw, c, m], "values": f32_list(f)},
                      "pads": list(pads), "strides": list(strides), "dilations": list(dil),
                      "expected": {"shape": [1, ho, wo, c * m], "values": f32_list(out)}})

# 3. SciPy cross-check: scipy.ndimage.correlate with SciPy's mode names, a
#    centred odd kernel (SAME padding, stride 1), one channel.
scipy_cases = []
for (h, w, kh, kw) in [(6, 5, 3, 3), (4, 4, 5, 5), (3, 5, 7, 3)]:
    x = rng.uniform(-1, 1, size=(h, w)).astype(np.float32)
    k = rng.uniform(-1, 1, size=(kh, kw)).astype(np.float32)
    for mode, sp_mode in SCIPY.items():
        out = ndi.correlate(x.astype(np.float64), k.astype(np.float64), mode=sp_mode, cval=0.0)
        scipy_cases.append({"name": f"scipy {sp_mode} {h}x{w} k{kh}x{kw}", "mode": mode, "scipy_mode": sp_mode,
                            "input": {"shape": [1, h, w, 1], "values": f32_list(x)},
                            "depthwise": {"shape": [kh, kw, 1, 1], "values": f32_list(k)},
                            "expected": {"shape": [1, h, w, 1], "values": f32_list(out)}})

doc = {"generator": "make_fixtures.py", "numpy_version": np.__version__, "scipy_version": scipy.__version__,
       "indices": indices, "convolutions": convs, "scipy": scipy_cases}
with open("borders.json", "w") as fh:
    json.dump(doc, fh, separators=(",", ":"))
print(len(indices), "index cases,", len(convs), "convolutions,", len(scipy_cases), "scipy cases")
