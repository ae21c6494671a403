// swift-tools-version:6.0
//
// libFuzzer targets for filterbank's decoders and parsers, in a package of
// their own so the main package never needs the fuzzer flags. Build with
//
//   swift build -c debug --package-path Fuzz \
//       -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address
//
// (or just run `Fuzz/run`); see Fuzz/README.md. Without `-sanitize=fuzzer` the
// link fails: LLVMFuzzerRunDriver lives in libFuzzer's runtime.
import PackageDescription

let package = Package(
    name: "filterbank-fuzz",
    dependencies: [
        // The package one level up, whatever its directory is called.
        .package(name: "filterbank", path: ".."),
    ],
    targets: [
        .target(name: "CFuzzerDriver"),
        .executableTarget(
            name: "filterbank-fuzz",
            dependencies: [
                "CFuzzerDriver",
                .product(name: "FilterBankIO", package: "filterbank"),
                .product(name: "FilterBankKit", package: "filterbank"),
            ],
            path: "Sources/FilterBankFuzz"
        ),
    ]
)
