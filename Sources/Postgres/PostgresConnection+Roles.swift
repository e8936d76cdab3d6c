import Foundation

/// What `createOrUpdateLogin` did.
public enum LoginChange: String, Sendable, Equatable {
    /// A new login role was created.
    case created
    /// The login existed: its password was set and its group membership made right.
    case updated
}

/// A login cannot be created or changed as asked.
public struct LoginError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

extension PostgresConnection {
    /// Creates the login role `name` with `password` as a member of `group`; when `name` exists, sets its password,
    /// allows it to log in and makes it a member of `group`. Either way it leaves every group of `otherGroups`, so the
    /// login ends up in exactly one of them. One transaction.
    ///
    /// The password never reaches the server: libpq computes the verifier (`encryptPassword`), and only that is sent.
    /// Needs a role that may create roles and grant `group` (a superuser, or CREATEROLE).
    /// - Parameters:
    ///   - name: the login; `[a-z_][a-z0-9_]*`, at most 63 characters.
    ///   - password: the password, not empty.
    ///   - group: the group role to join (it must exist).
    ///   - otherGroups: group roles the login must not stay in.
    /// - Returns: whether the login was created or updated.
    /// - Throws: `LoginError` for a bad name or password, a missing group, or an existing superuser or group role of
    ///   that name; `PostgresError` from the server (e.g. 42501 when this role may not create roles).
    @discardableResult
    public func createOrUpdateLogin(_ name: String, password: String, group: String, otherGroups: [String] = [])
        throws -> LoginChange
    {
        guard Self.isValidLoginName(name) else {
            throw LoginError(description: "login name \"\(name)\": expected 1-63 characters from a-z, 0-9 and _, "
                             + "not starting with a digit")
        }
        guard !password.isEmpty else { throw LoginError(description: "the password is empty") }
        guard !([group] + otherGroups).contains(name) else {
            throw LoginError(description: "\(name) is a group role; give the login another name")
        }
        guard try queryOne("SELECT 1 AS found FROM pg_catalog.pg_roles WHERE rolname = \(group)") != nil else {
            throw LoginError(description: "role \(group) does not exist: run `seqtwins db migrate` first")
        }
        let verifier = try encryptPassword(password, user: name)
        return try transaction { db in
            let existing = try db.queryOne("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = \(name)")
            if try existing?.decode("rolsuper", as: Bool.self) == true {
                throw LoginError(description: "\(name) is a superuser; refusing to change it")
            }
            let role = db.quoteIdentifier(name)
            let passwordClause = "PASSWORD \(try db.quoteLiteral(verifier))"
            // The statement holds the verifier: keep it out of error messages.
            do {
                try db.executeTrustedScript(existing == nil
                    ? "CREATE ROLE \(role) LOGIN \(passwordClause)"
                    : "ALTER ROLE \(role) LOGIN \(passwordClause)")
            } catch var error as PostgresError {
                error.query = existing == nil ? "CREATE ROLE \(role) LOGIN PASSWORD ..." : "ALTER ROLE \(role) ..."
                throw error
            }
            let memberships = try Set(db.query("""
                SELECT g.rolname FROM pg_catalog.pg_auth_members m
                JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
                JOIN pg_catalog.pg_roles u ON u.oid = m.member
                WHERE u.rolname = \(name)
                """).map { try $0.decode("rolname", as: String.self) })
            if !memberships.contains(group) {
                try db.executeTrustedScript("GRANT \(db.quoteIdentifier(group)) TO \(role)")
            }
            for other in otherGroups where other != group && memberships.contains(other) {
                try db.executeTrustedScript("REVOKE \(db.quoteIdentifier(other)) FROM \(role)")
            }
            return existing == nil ? .created : .updated
        }
    }

    /// Whether `name` is a plain lower-case identifier of at most 63 characters (PostgreSQL's name length).
    public static func isValidLoginName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 63 else { return false }
        let lower = Unicode.Scalar("a").value...Unicode.Scalar("z").value
        let digits = Unicode.Scalar("0").value...Unicode.Scalar("9").value
        return (lower.contains(first.value) || first == "_")
            && name.unicodeScalars.allSatisfy { lower.contains($0.value) || digits.contains($0.value) || $0 == "_" }
    }
}
