import Testing
import FilterBankKit

/// The `--kernel` grammar: what parses to what, and the exact message of every kind of bad spec.
@Suite struct KernelSpecTests {
    @Test(arguments: [
        ("sobel-x", "sobel-x", 3, 3),
        ("  Sobel-X ", "sobel-x", 3, 3),
        ("gaussian:sigma=2", "gaussian:sigma=2,size=13", 13, 13),
        ("gaussian:2", "gaussian:sigma=2,size=13", 13, 13),
        ("gaussian: sigma = 2 , size = 5", "gaussian:sigma=2,size=5", 5, 5),
        ("gaussian:size=5,sigma=0.8", "gaussian:sigma=0.8,size=5", 5, 5),
        ("gabor:theta=45,sigma=3,lambda=8", "gabor:theta=45,sigma=3,lambda=8,gamma=0.5,psi=0,size=37", 37, 37),
        ("laplacian:8", "laplacian:neighbours=8", 3, 3),
        ("kirsch:direction=NE", "kirsch:direction=ne", 3, 3),
        ("3x3: 1,0,-1, 2,0,-2, 1,0,-1", "3x3:1,0,-1,2,0,-2,1,0,-1", 3, 3),
        ("1 2 1 2 4 2 1 2 1", "3x3:1,2,1,2,4,2,1,2,1", 3, 3),
        ("2x1: -1, 1", "2x1:-1,1", 1, 2),
        ("1x3: 1, 2, 1", "1x3:1,2,1", 3, 1),
        ("-0.5", "1x1:-0.5", 1, 1),
        ("3X2: .5 1e-1 +2, 1 2 3", "3x2:0.5,0.1,2,1,2,3", 2, 3),
    ] as [(String, String, Int, Int)])
    func parses(_ text: String, _ canonical: String, _ height: Int, _ width: Int) throws {
        let spec = try KernelSpec(parsing: text)
        #expect(spec.description == canonical)
        #expect(spec.kernel.height == height && spec.kernel.width == width)
        #expect(spec.text == text)
    }

    @Test func literalsAreRowMajor() throws {
        let k = try KernelSpec(parsing: "3x2: 1,2,3, 4,5,6").kernel
        #expect(k.width == 3 && k.height == 2)
        #expect(k[0, 2] == 3 && k[1, 0] == 4)
        // The example is minus sobel-x: literals are correlation kernels, never flipped.
        #expect(try KernelSpec(parsing: "3x3: 1,0,-1, 2,0,-2, 1,0,-1").kernel.values
            == KernelSpec(parsing: "sobel-x").kernel.values.map { -$0 })
        // Long literals are named by their size only.
        #expect(try KernelSpec(parsing: String(repeating: "1 ", count: 49)).kernel.name == "7x7 literal")
    }

    @Test(arguments: [
        ("", "empty kernel spec: expected a name such as sobel-x or gaussian:sigma=2, or a literal such as \"3x3: 1,0,-1, 2,0,-2, 1,0,-1\""),
        ("   ", "empty kernel spec: expected a name such as sobel-x or gaussian:sigma=2, or a literal such as \"3x3: 1,0,-1, 2,0,-2, 1,0,-1\""),
        ("sobelx", "unknown kernel 'sobelx' (did you mean 'sobel-x'?); 'filterbank kernels' lists them all"),
        ("gausian:sigma=2", "unknown kernel 'gausian' (did you mean 'gaussian'?); 'filterbank kernels' lists them all"),
        ("blurry", "unknown kernel 'blurry'; 'filterbank kernels' lists them all"),
        ("gaussian:sigmax=2", "gaussian has no parameter 'sigmax' (its parameters: sigma, size)"),
        ("sobel-x:size=5", "sobel-x takes no parameters, got 'size=5'"),
        ("gaussian:sigma=2,sigma=3", "gaussian: parameter 'sigma' is given twice"),
        ("gaussian:2,sigma=3", "gaussian: parameter 'sigma' is given twice"),
        ("gaussian:2,7", "gaussian: argument 2 '7' needs a name, as in name=value (only the first may omit it; parameters: sigma, size)"),
        ("gaussian:sigma=2,", "gaussian: argument 2 is empty"),
        ("gaussian:", "gaussian: argument 1 is empty"),
        ("gaussian:sigma=0", "gaussian: sigma must be a positive number, got '0'"),
        ("gaussian:sigma=abc", "gaussian: sigma must be a positive number, got 'abc'"),
        ("gaussian:sigma=nan", "gaussian: sigma must be a positive number, got 'nan'"),
        ("gaussian:sigma=", "gaussian: sigma must be a positive number, got ''"),
        ("gaussian:size=2.5", "gaussian: size must be an integer from 1 to 255, got '2.5'"),
        ("box:0", "box: size must be an integer from 1 to 255, got '0'"),
        ("box:300", "box: size must be an integer from 1 to 255, got '300'"),
        ("gaussian:sigma=100", "gaussian: the default size 2*ceil(3*sigma)+1 = 601 exceeds the maximum 255; use a smaller value"),
        ("gabor:sigma=30,gamma=0.5", "gabor: the default size 2*ceil(3*sigma/min(gamma,1))+1 = 361 exceeds the maximum 255; use a smaller value"),
        ("gabor:theta=45,sigma=3,lambda=0", "gabor: lambda must be a positive number, got '0'"),
        ("gabor:theta=north", "gabor: theta must be a number, got 'north'"),
        ("laplacian:6", "laplacian: neighbours must be one of 4, 8, got '6'"),
        ("kirsch:direction=up", "kirsch: direction must be one of n, ne, e, se, s, sw, w, nw, got 'up'"),
        ("3x3: 1,2", "kernel literal 3x3 needs 9 values, got 2"),
        ("3x3:", "kernel literal 3x3 needs 9 values, got 0"),
        ("1,2,3,4", "kernel literal has 4 values, not an odd square (1, 9, 25, 49, ...): give its size first, as in WxH: v1, v2, ..."),
        ("3x0: 1", "kernel literal: the size '3x0' must be WxH with positive integers, as in 3x3:"),
        ("3by3: 1", "kernel literal: the size '3by3' must be WxH with positive integers, as in 3x3:"),
        ("300x1: 1", "kernel literal: the size 300x1 exceeds the maximum 255x255"),
        ("3x3: 1,0,x, 2,0,-2, 1,0,-1", "kernel literal: value 3 'x' is not a number"),
        ("1, inf, 1, 1, 1, 1, 1, 1, 1", "kernel literal: value 2 'inf' is not a finite number"),
        ("1e39", "kernel literal: value 1 '1e39' is not a finite number"),
        ("0x10", "kernel literal: value 1 '0x10' is not a number"),
    ] as [(String, String)])
    func badSpecsSayWhatIsWrong(_ text: String, _ message: String) {
        let error = #expect(throws: KernelSpecError.self) { try KernelSpec(parsing: text) }
        #expect(error?.description == message)
    }

    @Test func errorCasesCarryTheirValues() {
        #expect(throws: KernelSpecError.unknownKernel(name: "sobelx", suggestion: "sobel-x")) {
            try KernelSpec(parsing: "sobelx")
        }
        #expect(throws: KernelSpecError.literalCount(width: 2, height: 2, count: 3)) {
            try KernelSpec(parsing: "2x2: 1 2 3")
        }
    }
}
