import Testing
import FilterBankIO
import FilterBankRun

@Suite struct OutputNamingTests {
    @Test(arguments: [
        ("photo.jpg", "photo"), ("in/dir/photo.v2.png", "photo.v2"), ("/abs/image", "image"),
        ("archive.tar.gz", "archive.tar"), (".hidden", ".hidden"), ("dir/.hidden.png", ".hidden"),
        ("trailing/slash.npy/", "slash"), ("photo.", "photo"), ("", ""),
    ])
    func stem(_ path: String, _ expected: String) {
        #expect(OutputNaming.stem(of: path) == expected)
    }

    static func names(_ count: Int, batch: Int = 0, batchCount: Int = 1) -> [String] {
        (0..<count).map {
            OutputNaming.channelFileName(stem: "img", channel: $0, channelCount: count,
                                         batch: batch, batchCount: batchCount, fileExtension: "png")
        }
    }

    @Test func channelsArePaddedToTheLastIndex() {
        #expect(Self.names(1) == ["img_c0.png"])
        #expect(Self.names(6) == (0..<6).map { "img_c\($0).png" })
        #expect(Self.names(10).last == "img_c9.png")
        #expect(Self.names(11).first == "img_c00.png" && Self.names(11).last == "img_c10.png")
        let names24 = Self.names(24)
        #expect(names24.first == "img_c00.png" && names24[7] == "img_c07.png" && names24.last == "img_c23.png")
        #expect(Self.names(101)[5] == "img_c005.png")
        #expect(names24.sorted() == names24)
    }

    @Test func batchIndexAppearsOnlyForBatches() {
        #expect(Self.names(6, batch: 0, batchCount: 1)[2] == "img_c2.png")
        #expect(Self.names(6, batch: 1, batchCount: 2)[2] == "img_n1_c2.png")
        #expect(Self.names(24, batch: 3, batchCount: 12)[5] == "img_n03_c05.png")
    }

    @Test func extensionsAndTensorName() {
        #expect(OutputNaming.channelFileName(stem: "a", channel: 0, channelCount: 2, batch: 0, batchCount: 1,
                                             fileExtension: ".jpg") == "a_c0.jpg")
        #expect(OutputNaming.channelFileName(stem: "a", channel: 1, channelCount: 2, batch: 0, batchCount: 1,
                                             fileExtension: "") == "a_c1")
        #expect(OutputNaming.tensorFileName(stem: "photo") == "photo.npy")
    }
}
