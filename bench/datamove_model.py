"""Writes a float32 .tflite for timing the data-movement, reduction, softmax and batch-matmul kernels at
an attention block's size: ids [1, 128] gather rows of a [1000, 256] embedding table; the result is
split into 4 heads (RESHAPE, TRANSPOSE), scored against itself (BATCH_MATMUL with adj_y), SOFTMAX-ed,
applied (BATCH_MATMUL), merged back (TRANSPOSE, RESHAPE), concatenated with the embedding,
STRIDED_SLICE-d (every other position, reversed features), then reduced by MEAN and REDUCE_MAX over
the last axis and SUM over the positions. Used for docs/RUNTIME.md's rows of these ops:

  .venv/bin/python bench/datamove_model.py /tmp/datamove_bench.tflite
  build/tfcompress run /tmp/datamove_bench.tflite --input IDS.npy --repeat 50 --profile
"""
import sys

import numpy as np
import tensorflow as tf

TABLE = np.random.default_rng(7).uniform(-1, 1, (1000, 256)).astype(np.float32)


@tf.function(input_signature=[tf.TensorSpec([1, 128], tf.int32, name="ids")])
def block(ids):
    e = tf.gather(tf.constant(TABLE), ids)                          # [1, 128, 256]
    h = tf.transpose(tf.reshape(e, [1, 128, 4, 64]), [0, 2, 1, 3])  # [1, 4, 128, 64]
    scores = tf.linalg.matmul(h, h, transpose_b=True)               # [1, 4, 128, 128]
    attended = tf.linalg.matmul(tf.nn.softmax(scores), h)           # [1, 4, 128, 64]
    merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [1, 128, 256])
    both = tf.concat([merged, e], axis=-1)                          # [1, 128, 512]
    picked = tf.strided_slice(both, [0, 0, 0], [1, 128, 512], [1, 2, -1],
                              begin_mask=0b101, end_mask=0b101)    # [1, 64, 512]
    return {
        "mean": tf.reduce_mean(picked, axis=-1),
        "max": tf.reduce_max(picked, axis=-1),
        "sum": tf.reduce_sum(picked, axis=1),
    }


def main():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUT.tflite")
    converter = tf.lite.TFLiteConverter.from_concrete_functions([block.get_concrete_function()])
    with open(sys.argv[1], "wb") as f:
        f.write(converter.convert())


if __name__ == "__main__":
    main()
