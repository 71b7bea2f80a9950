import CGit2

extension git_oid {
    /// The 40-hex-digit object id.
    var sha: String {
        var copy = self
        var buffer = [CChar](repeating: 0, count: Int(GIT_OID_HEXSZ) + 1)
        git_oid_tostr(&buffer, buffer.count, &copy)
        return String(decoding: buffer.prefix(Int(GIT_OID_HEXSZ)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Parses a full 40-hex-digit sha.
    init(sha: String, doing: @autoclosure () -> String) throws {
        self.init()
        try check(git_oid_fromstr(&self, sha), "git_oid_fromstr", doing())
    }

    static func == (a: git_oid, b: git_oid) -> Bool {
        var a = a
        var b = b
        return git_oid_equal(&a, &b) != 0
    }
}
