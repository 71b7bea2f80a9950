import TideCore

/// A node of a parsed YAML document, with where it starts (1-based line and column) and, for
/// scalars, how it was written: validation needs to tell `mode: 0644` from `mode: "0644"`.
public struct YAMLNode: Sendable {
    /// How a scalar was written in the source.
    public enum Style: Sendable, Equatable {
        case plain, singleQuoted, doubleQuoted, literal, folded
        /// Any quoting or block style: the text is a string whatever it looks like.
        public var isQuoted: Bool { self != .plain }
    }

    public enum Content: Sendable {
        case scalar(String, Style)
        case sequence([YAMLNode])
        /// Entries in source order; duplicate keys are kept (the loader reports them).
        case mapping([(key: YAMLNode, value: YAMLNode)])
    }

    public var content: Content
    public var position: SourcePosition
    /// An explicit tag such as `!!str`, or nil.
    public var tag: String?

    public init(_ content: Content, position: SourcePosition, tag: String? = nil) {
        self.content = content
        self.position = position
        self.tag = tag
    }

    /// The text of a scalar; nil for collections.
    public var scalar: String? {
        if case .scalar(let s, _) = content { return s }
        return nil
    }

    /// The style of a scalar; nil for collections.
    public var style: Style? {
        if case .scalar(_, let s) = content { return s }
        return nil
    }

    /// True for a plain scalar YAML reads as null (`~`, `null`, empty).
    public var isNull: Bool {
        guard case .scalar(let s, .plain) = content, tag == nil else { return false }
        return s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL"
    }

    /// What the node is, in words for messages: "a mapping", "a list", "the string \"x\"", ...
    public var kindDescription: String {
        switch content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let s, let style):
            if isNull { return "nothing (null)" }
            if style == .plain, Int(s) != nil { return "the number \(s)" }
            return "the text \"\(s)\""
        }
    }
}
