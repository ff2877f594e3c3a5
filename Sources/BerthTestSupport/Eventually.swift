/// A condition that did not become true in time; its description says what was awaited.
public struct EventuallyTimeout: Error, CustomStringConvertible {
    /// What the test waited for, and for how long.
    public let description: String
}

/// Waits for `condition` by bounded polling, for the few cases where no event exists to await (a counter
/// in another component, a thread closing its descriptors, a file another process writes).
/// - Parameters:
///   - what: names the awaited state in the failure.
///   - seconds: how long to wait before throwing.
/// - Throws: ``EventuallyTimeout`` when the time is up, or what `condition` throws.
public func eventually(
    _ what: String, within seconds: Double = 20, _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    if try await condition() { return }
    throw EventuallyTimeout(description: "timed out after \(seconds) s waiting for \(what)")
}
