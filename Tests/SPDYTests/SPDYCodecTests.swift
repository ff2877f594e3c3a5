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

    @Test func framesRoundTripThroughTheCodecsEvenByteByByte() throws {
        let writer = EmbeddedChannel()
        try writer.pipeline.syncOperations.addHandler(SPDYFrameEncoder())
        let reader = EmbeddedChannel()
        try reader.pipeline.syncOperations.addHandler(ByteToMessageHandler(SPDYFrameDecoder()))

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
        #expect(decoded == frames)
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
