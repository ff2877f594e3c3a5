import Foundation
import CZlib
import NIOCore
import NIOEmbedded
import Testing

import SPDY

@Suite struct SPDYCodecTests {
    private func hex(_ buffer: ByteBuffer) -> String {
        buffer.readableBytesView.map { String(format: "%02x", $0) }.joined()
    }

    private func address(_ buffer: ByteBuffer) -> UInt {
        buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
    }

    /// Joins consecutive DATA frames of a stream that carry no FIN with the frame that follows them.
    private func joiningDataPieces(_ frames: [SPDYFrame]) -> [SPDYFrame] {
        var joined: [SPDYFrame] = []
        for frame in frames {
            if case .data(let id, let fin, let payload) = frame, case .data(id, false, var earlier)? = joined.last {
                earlier.writeImmutableBuffer(payload)
                joined[joined.count - 1] = .data(streamID: id, fin: fin, payload: earlier)
            } else {
                joined.append(frame)
            }
        }
        return joined
    }

    @Test func dictionaryIsTheSPDY3Table() {
        let adler = SPDYDictionary.bytes.withUnsafeBufferPointer { adler32(1, $0.baseAddress, UInt32($0.count)) }
        #expect(SPDYDictionary.bytes.count == 1423)
        #expect(adler == 0xe3c6_a7c2)
    }

    @Test func emptyHeaderBlocksMatchTheKnownVectors() throws {
        let deflater = try SPDYHeaderDeflater()
        var first = ByteBuffer()
        try deflater.compress(SPDYFrame.serializeHeaderBlock([]), into: &first)
        var second = ByteBuffer()
        try deflater.compress(SPDYFrame.serializeHeaderBlock([]), into: &second)
        #expect(hex(first) == "78f9e3c6a7c202a6230600000000ffff")
        #expect(hex(second) == "020100000000ffff")
    }

    @Test(arguments: [1, 9] as [Int32])
    func headerBlocksRoundTripThroughOneSessionContext(level: Int32) throws {
        let deflater = try SPDYHeaderDeflater(level: level)
        let inflater = try SPDYHeaderInflater()
        for requestID in 0..<5 {
            let headers = [
                SPDYHeader(name: "streamtype", value: "data"), SPDYHeader(name: "port", value: "80"),
                SPDYHeader(name: "requestid", value: "\(requestID)"),
            ]
            var compressed = ByteBuffer()
            try deflater.compress(SPDYFrame.serializeHeaderBlock(headers), into: &compressed)
            #expect(hex(compressed).hasSuffix("0000ffff"))
            #expect(try SPDYFrame.parseHeaderBlock(inflater.decompress(compressed)) == headers)
        }
    }

    @Test func garbageHeaderBlockIsRejected() throws {
        let inflater = try SPDYHeaderInflater()
        #expect(throws: SPDYError.self) {
            _ = try inflater.decompress(ByteBuffer(bytes: [0x01, 0x02, 0x03, 0x04, 0x05]))
        }
    }

    @Test(arguments: [false, true])
    func framesRoundTripThroughTheCodecsEvenByteByByte(streamsData: Bool) throws {
        let writer = EmbeddedChannel()
        try writer.pipeline.syncOperations.addHandler(SPDYFrameEncoder())
        let reader = EmbeddedChannel()
        try reader.pipeline.syncOperations.addHandler(ByteToMessageHandler(SPDYFrameDecoder(streamsData: streamsData)))

        let frames: [SPDYFrame] = [
            .synStream(
                streamID: 1, associatedStreamID: 0, priority: 0, flags: 0,
                headers: [SPDYHeader(name: "streamtype", value: "error"), SPDYHeader(name: "port", value: "80"), SPDYHeader(name: "requestid", value: "0")]
            ),
            .synReply(streamID: 1, fin: false, headers: []),
            .data(streamID: 3, fin: false, payload: ByteBuffer(string: "hello")),
            .data(streamID: 3, fin: true, payload: ByteBuffer()),
            .rstStream(streamID: 3, status: SPDYConstants.rstCancel),
            .ping(id: 7),
            .goAway(lastGoodStreamID: 0, status: 0),
            .windowUpdate(streamID: 1, delta: 1000),
            .headers(streamID: 1, fin: true, headers: [SPDYHeader(name: "x", value: "y")]),
        ]
        for frame in frames { try writer.writeOutbound(frame) }
        var wire = ByteBuffer()
        while var chunk = try writer.readOutbound(as: ByteBuffer.self) { wire.writeBuffer(&chunk) }

        // Check the SYN_STREAM header bytes: control bit, version 3, type 1.
        #expect(wire.getBytes(at: 0, length: 4) == [0x80, 0x03, 0x00, 0x01])

        while let byte = wire.readSlice(length: 1) { try reader.writeInbound(byte) }
        var decoded: [SPDYFrame] = []
        while let frame = try reader.readInbound(as: SPDYFrame.self) { decoded.append(frame) }
        // Streaming, a DATA frame read a byte at a time arrives as one-byte pieces of its stream, FIN on the last.
        #expect(joiningDataPieces(decoded) == joiningDataPieces(frames))
        #expect(decoded.count == frames.count + (streamsData ? "hello".utf8.count - 1 : 0))
    }

    @Test func aDataFramesPayloadIsHandedOnAsItArrivesWithoutACopy() throws {
        let writer = EmbeddedChannel()
        try writer.pipeline.syncOperations.addHandler(SPDYFrameEncoder())
        let reader = EmbeddedChannel()
        try reader.pipeline.syncOperations.addHandler(ByteToMessageHandler(SPDYFrameDecoder(streamsData: true)))
        let payload = ByteBuffer(bytes: (0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try writer.writeOutbound(SPDYFrame.data(streamID: 5, fin: true, payload: payload))
        try writer.writeOutbound(SPDYFrame.ping(id: 9))
        var wire = ByteBuffer()
        while var chunk = try writer.readOutbound(as: ByteBuffer.self) { wire.writeBuffer(&chunk) }

        // Two reads cut the frame: its header and 20,000 bytes, then the rest and a PING.
        let firstRead = wire.readSlice(length: 8 + 20_000)!
        let secondRead = wire
        try reader.writeInbound(firstRead)
        guard case .data(5, false, let head)? = try reader.readInbound(as: SPDYFrame.self) else {
            Issue.record("the first read's bytes were held back")
            return
        }
        try reader.writeInbound(secondRead)
        guard case .data(5, true, let tail)? = try reader.readInbound(as: SPDYFrame.self) else {
            Issue.record("the rest of the frame did not arrive as its last piece")
            return
        }
        #expect(try reader.readInbound(as: SPDYFrame.self) == .ping(id: 9))
        #expect(head.readableBytes == 20_000)
        var joined = head
        joined.writeImmutableBuffer(tail)
        #expect(joined == payload)
        // Each piece is the read's own memory, not a copy of it.
        #expect(address(head) == address(firstRead) + 8)
        #expect(address(tail) == address(secondRead))

        // Without streaming (FakeKube's decoder, as the kubelet's), the frame waits until it is whole.
        let whole = EmbeddedChannel()
        try whole.pipeline.syncOperations.addHandler(ByteToMessageHandler(SPDYFrameDecoder()))
        try whole.writeInbound(firstRead)
        #expect(try whole.readInbound(as: SPDYFrame.self) == nil)
        try whole.writeInbound(secondRead)
        #expect(try whole.readInbound(as: SPDYFrame.self) == .data(streamID: 5, fin: true, payload: payload))
        #expect(try whole.readInbound(as: SPDYFrame.self) == .ping(id: 9))
    }

    @Test func settingsAndUnknownControlFramesAreIgnored() throws {
        let reader = EmbeddedChannel()
        try reader.pipeline.syncOperations.addHandler(ByteToMessageHandler(SPDYFrameDecoder()))
        // SETTINGS with one entry, then an unknown type 0x0f with 2 bytes.
        try reader.writeInbound(ByteBuffer(bytes: [0x80, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x0c, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 100]))
        try reader.writeInbound(ByteBuffer(bytes: [0x80, 0x03, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x02, 0xaa, 0xbb]))
        #expect(try reader.readInbound(as: SPDYFrame.self) == .ignored(type: 4))
        #expect(try reader.readInbound(as: SPDYFrame.self) == .ignored(type: 15))
    }
}
