import BerthDaemon
import Testing

/// berth's block of the hosts file as a pure model: every byte outside the block survives every edit.
@Suite struct HostsBlockTests {
    private let web = HostsBlock.Entry(address: "127.64.0.7", names: ["web", "web.shop"])
    private let db = HostsBlock.Entry(address: "127.64.0.9", names: ["db.local"])

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func theBlockIsAppendedReplacedAndRemovedLeavingTheRestAlone() throws {
        let original = bytes("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n")
        let added = try HostsBlock(id: "d1", entries: [web]).apply(to: original)
        #expect(text(added) == text(original) + "# BEGIN berth d1\n127.64.0.7\tweb web.shop\n# END berth d1\n")
        #expect(try HostsBlock(id: "d1", entries: [web]).apply(to: added) == added, "applying the same block again changes nothing")

        let updated = try HostsBlock(id: "d1", entries: [web, db]).apply(to: added)
        #expect(text(updated) == text(original) + "# BEGIN berth d1\n127.64.0.7\tweb web.shop\n127.64.0.9\tdb.local\n# END berth d1\n")
        #expect(try HostsBlock.read(id: "d1", in: updated) == HostsBlock(id: "d1", entries: [web, db]))

        #expect(try HostsBlock(id: "d1", entries: []).apply(to: updated) == original)
        #expect(try HostsBlock.read(id: "d1", in: original) == nil)
    }

    @Test func crlfLinesGetCRLFBlockLinesAndComeBackExactly() throws {
        let original = bytes("127.0.0.1 localhost\r\n# a comment\r\n")
        let added = try HostsBlock(id: "d1", entries: [web]).apply(to: original)
        #expect(text(added) == text(original) + "# BEGIN berth d1\r\n127.64.0.7\tweb web.shop\r\n# END berth d1\r\n")
        #expect(try HostsBlock.read(id: "d1", in: added)?.entries == [web])
        #expect(try HostsBlock(id: "d1", entries: []).apply(to: added) == original)
    }

    @Test func aFileWithoutAFinalNewlineKeepsHavingNone() throws {
        for original in [bytes("127.0.0.1 localhost"), bytes("127.0.0.1 localhost\r\n10.0.0.1 nas")] {
            let added = try HostsBlock(id: "d1", entries: [web]).apply(to: original)
            #expect(added.starts(with: original) && added.last != UInt8(ascii: "\n"))
            #expect(try HostsBlock.read(id: "d1", in: added)?.entries == [web])
            let updated = try HostsBlock(id: "d1", entries: [db]).apply(to: added)
            #expect(try HostsBlock.read(id: "d1", in: updated)?.entries == [db])
            #expect(try HostsBlock(id: "d1", entries: []).apply(to: updated) == original)
        }
    }

    @Test func anotherToolsBlockAndAnotherDaemonsBlockAreKeptByteForByte() throws {
        let before = "127.0.0.1 localhost\n# BEGIN docker\n10.0.0.2 registry\n# END docker\n"
        let theirs = "# BEGIN berth d2\n127.64.0.3\tapi\n# END berth d2\n"
        let after = "\t# trailing comment with a tab\n192.168.1.1 router"
        let mine = "# BEGIN berth d1\n127.64.0.1\told\n# END berth d1\n"
        let original = bytes(before + mine + theirs + after)
        let updated = try HostsBlock(id: "d1", entries: [web]).apply(to: original)
        #expect(text(updated) == before + "# BEGIN berth d1\n127.64.0.7\tweb web.shop\n# END berth d1\n" + theirs + after)
        #expect(text(try HostsBlock(id: "d1", entries: []).apply(to: updated)) == before + theirs + after)
        #expect(try HostsBlock.read(id: "d2", in: updated)?.entries == [HostsBlock.Entry(address: "127.64.0.3", names: ["api"])])
    }

    @Test func bytesThatAreNotUTF8SurviveToo() throws {
        let original: [UInt8] = Array("10.0.0.1 caf".utf8) + [0xE9, 0xFF] + Array("\n".utf8)
        let added = try HostsBlock(id: "d1", entries: [web]).apply(to: original)
        #expect(try HostsBlock(id: "d1", entries: []).apply(to: added) == original)
    }

    @Test func aBlockThatNeverEndsIsRefusedNotGuessed() throws {
        let broken = bytes("127.0.0.1 localhost\n# BEGIN berth d1\n127.64.0.1 web\n")
        #expect(throws: HostsBlockProblem.self) { try HostsBlock(id: "d1", entries: [web]).apply(to: broken) }
        // Another daemon's block is no business of this one.
        #expect(try HostsBlock(id: "d2", entries: []).apply(to: broken) == broken)
    }

    @Test func anEmptyFileGetsJustTheBlock() throws {
        let added = try HostsBlock(id: "d1", entries: [db]).apply(to: [])
        #expect(text(added) == "# BEGIN berth d1\n127.64.0.9\tdb.local\n# END berth d1\n")
        #expect(try HostsBlock(id: "d1", entries: []).apply(to: added) == [])
    }
}
