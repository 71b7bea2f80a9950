import Foundation

import CEpoll

#if canImport(Glibc)
    import Glibc
#endif

/// The controller's loopback address, parsed from `http://HOST:PORT`. Only 127.0.0.1, ::1 and
/// localhost are accepted: the simulator never sends load off this machine.
public struct ControllerAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: UInt16
    var isIPv6: Bool { host == "::1" }

    /// The loopback source address of the `n`-th simulated server: 127.1.0.1, 127.1.0.2, …
    /// (250 per /24, never .0 or .255).
    static func sourceAddress(_ n: Int) -> UInt32 {
        let third = UInt32((n / 250) % 256)
        let second = UInt32(1 + (n / 250) / 256)
        return (127 << 24) | (second << 16) | (third << 8) | UInt32(1 + n % 250)
    }

    /// Parses `url`; throws when it is not plain `http://` to a loopback host with a port.
    public init(url: String) throws {
        guard let parts = URLComponents(string: url), parts.scheme == "http" else {
            throw LoadgenError("controller URL \(url): only http:// is supported (loopback, no TLS)")
        }
        var host = parts.host ?? ""
        if host.hasPrefix("[") { host = String(host.dropFirst().dropLast()) }
        switch host {
        case "127.0.0.1", "localhost": self.host = "127.0.0.1"
        case "::1": self.host = "::1"
        default:
            throw LoadgenError(
                "controller URL \(url): host \(host.isEmpty ? "(none)" : host) is not loopback; tide-loadgen only talks to 127.0.0.1, ::1 or localhost")
        }
        guard let port = parts.port, port > 0, port < 65536 else {
            throw LoadgenError("controller URL \(url): give the port, e.g. http://127.0.0.1:7070")
        }
        self.port = UInt16(port)
    }

    public var description: String { isIPv6 ? "http://[::1]:\(port)" : "http://\(host):\(port)" }

    /// The Host header value.
    var hostHeader: String { isIPv6 ? "[::1]:\(port)" : "\(host):\(port)" }

    /// Starts a non-blocking connect; returns the fd (connect may still be in progress) or -errno.
    /// With `source` (IPv4 only), the socket is first bound to that loopback address (port chosen
    /// at connect time, IP_BIND_ADDRESS_NO_PORT): each simulated server gets its own address, as a
    /// real fleet has, and the kernel's ephemeral-port search stays short with 10,000+ sockets to
    /// one port (from one address it dominated the simulator's CPU).
    func connectNonBlocking(source: UInt32? = nil) -> Int32 {
        let family = isIPv6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        if fd < 0 { return -errno }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var result: Int32
        if isIPv6 {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = port.bigEndian
            addr.sin6_addr = in6addr_loopback
            result = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            if let source {
                _ = setsockopt(fd, Int32(IPPROTO_IP), 24 /* IP_BIND_ADDRESS_NO_PORT */, &one, socklen_t(MemoryLayout<Int32>.size))
                var local = sockaddr_in()
                local.sin_family = sa_family_t(AF_INET)
                local.sin_addr.s_addr = source.bigEndian
                let bound = withUnsafePointer(to: &local) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                if bound != 0 {
                    let e = errno
                    close(fd)
                    return -e
                }
            }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = port.bigEndian
            addr.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            result = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        if result != 0 && errno != EINPROGRESS {
            let e = errno
            close(fd)
            return -e
        }
        return fd
    }
}
