import ArgumentParser

@main
struct Filterbank: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filterbank",
        abstract: "Apply convolution filter banks to PNG, JPEG and .npy images; write one grayscale image per output channel.",
        discussion: """
            A bank is depthwise (TensorFlow's tf.nn.depthwise_conv2d: filter [kh, kw, C, M], output \
            channel c*M + m) or depthwise-separable (tf.nn.separable_conv2d: the depthwise step, then a \
            1x1 pointwise filter [1, 1, C*M, O]). Images are decoded to NHWC Float32 tensors with values \
            in [0, 1] (8-bit / 255, 16-bit / 65535); .npy tensors are used as they are.

            Examples:
              filterbank apply photo.jpg -o out          # Sobel x and y per channel
              filterbank apply *.png -o out --bank bank.json
              filterbank apply x.npy -o out --depthwise dw.npy --format npy
            """,
        subcommands: [Apply.self, Inspect.self, Kernels.self]
    )
}
