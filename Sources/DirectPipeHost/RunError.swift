/// A condition found while running (not a mistake in the arguments): one line for the user, no usage text.
public struct RunError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
