/// Why a change to the user's desktop (OBS's files, a unit, a host started in the background) was not made, in one
/// line; what was there stays as it was.
public struct SetupError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
