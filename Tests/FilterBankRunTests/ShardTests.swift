import Testing
import FilterBankIO
import FilterBankRun

@Suite("Shard: K/N, a stable hash of the relative path")
struct ShardTests {
    /// FNV-1a 64 reference values (the published test vectors for "", "a", "foobar"; the last computed with Python).
    @Test(arguments: [
        ("", 0xcbf2_9ce4_8422_2325 as UInt64), ("a", 0xaf63_dc4c_8601_ec8c), ("foobar", 0x8594_4171_f739_67e8),
        ("2019/IMG_0001.JPG", 0x683e_b738_d5c8_614c),
    ])
    func fnv1a64(_ text: String, _ expected: UInt64) {
        #expect(Shard.fnv1a64(text) == expected)
    }

    @Test func parses() throws {
        #expect(try Shard("0/4") == Shard(index: 0, count: 4))
        #expect(try Shard("3/4").index == 3)
        #expect(try Shard("0/1").count == 1)
        #expect(try Shard("2/10").description == "2/10")
    }

    @Test(arguments: ["4/4", "-1/4", "1/0", "1", "1/2/3", "a/4", "1/b", "/4", "1/", " 1/4", "1/4 ", "+1/4", "1.0/4", ""])
    func rejects(_ text: String) {
        let error = #expect(throws: ShardError.self) { try Shard(text) }
        #expect(error?.description == "a shard must be K/N with whole numbers 0 <= K < N (e.g. 0/4), got '\(text)'")
    }

    /// Every key lands in exactly one of the N shards, whatever the order, and the shares are even.
    @Test(arguments: [1, 2, 3, 7])
    func partitions(_ n: Int) throws {
        let keys = (0..<2000).map { "folder\($0 % 13)/IMG_\($0).JPG" }
        let shards = try (0..<n).map { try Shard(index: $0, count: n) }
        var sizes = Array(repeating: 0, count: n)
        for key in keys {
            let owners = shards.filter { $0.contains(key: key) }
            #expect(owners.count == 1, "\(key)")
            sizes[owners[0].index] += 1
        }
        for size in sizes {
            #expect(abs(size - keys.count / n) < keys.count / n / 5, "shard sizes \(sizes)")
        }
        // The order of the list plays no part: the owner is a function of the key alone.
        for key in keys.reversed().prefix(50) {
            #expect(shards.first { $0.contains(key: key) }?.index == Int(Shard.fnv1a64(key) % UInt64(n)))
        }
    }
}
