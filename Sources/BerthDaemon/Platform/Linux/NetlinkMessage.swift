#if os(Linux)
/// Decoding of rtnetlink notifications (`struct nlmsghdr` followed by `ifinfomsg`/`ifaddrmsg`/`rtmsg`).
///
/// The constants come from `<linux/netlink.h>` and `<linux/rtnetlink.h>`, which Swift's Glibc module
/// does not import; their values are kernel ABI and never change.
enum Netlink {
    static let familyRoute: Int32 = 0  // NETLINK_ROUTE

    /// Multicast groups: links, IPv4/IPv6 addresses, IPv4/IPv6 routes.
    static let groups: UInt32 =
        0x1  // RTMGRP_LINK
        | 0x10  // RTMGRP_IPV4_IFADDR
        | 0x40  // RTMGRP_IPV4_ROUTE
        | 0x100  // RTMGRP_IPV6_IFADDR
        | 0x400  // RTMGRP_IPV6_ROUTE

    private static let headerLength = 16

    /// Decodes every message in one datagram into the changes berth reports.
    static func changes(in bytes: UnsafeRawBufferPointer) -> [NetworkChange] {
        var changes: [NetworkChange] = []
        var offset = 0
        while offset + headerLength <= bytes.count {
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            let type = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self)
            guard length >= headerLength, offset + length <= bytes.count else { break }
            let payload = offset + headerLength
            if let kind = kind(of: type) {
                changes.append(NetworkChange(kind: kind, interfaceIndex: interfaceIndex(type: type, bytes, payload, end: offset + length)))
            }
            // Messages are aligned to 4 bytes (NLMSG_ALIGN).
            offset += (length + 3) & ~3
        }
        return changes
    }

    private static func kind(of type: UInt16) -> NetworkChange.Kind? {
        switch type {
        case 16: .link  // RTM_NEWLINK
        case 17: .linkRemoved  // RTM_DELLINK
        case 20: .addressAdded  // RTM_NEWADDR
        case 21: .addressRemoved  // RTM_DELADDR
        case 24: .routeAdded  // RTM_NEWROUTE
        case 25: .routeRemoved  // RTM_DELROUTE
        default: nil  // NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE and anything newer
        }
    }

    /// `ifinfomsg.ifi_index` and `ifaddrmsg.ifa_index` both sit at offset 4 of the payload; routes carry
    /// theirs in an attribute, which berth does not need.
    private static func interfaceIndex(type: UInt16, _ bytes: UnsafeRawBufferPointer, _ payload: Int, end: Int) -> Int32? {
        guard (16...21).contains(type), payload + 8 <= end else { return nil }
        return bytes.loadUnaligned(fromByteOffset: payload + 4, as: Int32.self)
    }
}
#endif
