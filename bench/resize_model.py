"""Writes a float32 .tflite for timing the two RESIZE ops at a decoder's size: input x [1, 48, 48, 64]
upsampled to 96x96 by RESIZE_BILINEAR (half_pixel_centers, as Keras' UpSampling2D / tf.image.resize
convert) and by RESIZE_NEAREST_NEIGHBOR, then to 72x72 by RESIZE_BILINEAR (align_corners, a non-integer
ratio). Used for docs/RUNTIME.md's RESIZE row:

  .venv/bin/python bench/resize_model.py /tmp/resize_bench.tflite
  build/tfcompress run /tmp/resize_bench.tflite --repeat 50 --profile
"""
import sys

import tensorflow as tf


@tf.function(input_signature=[tf.TensorSpec([1, 48, 48, 64], tf.float32, name="x")])
def resize_ops(x):
    return {
        "bilinear_96_hp": tf.raw_ops.ResizeBilinear(images=x, size=[96, 96], half_pixel_centers=True),
        "nearest_96": tf.raw_ops.ResizeNearestNeighbor(images=x, size=[96, 96]),
        "bilinear_72_ac": tf.raw_ops.ResizeBilinear(images=x, size=[72, 72], align_corners=True),
    }


def main():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUT.tflite")
    converter = tf.lite.TFLiteConverter.from_concrete_functions([resize_ops.get_concrete_function()])
    with open(sys.argv[1], "wb") as f:
        f.write(converter.convert())


if __name__ == "__main__":
    main()
