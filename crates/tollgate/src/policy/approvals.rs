//! `[approvals]`: who must approve a release, who may override a Blocked
//! decision or waive a finding, and where the keys they sign with are listed.

use serde::Deserialize;

/// The approval policy. Without it, approvals are unauthenticated names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalsPolicy {
    /// Workspace-relative allowed-signers file in OpenSSH's format (as
    /// `ssh-keygen -Y verify -f` and git's `gpg.ssh.allowedSignersFile` read).
    pub allowed_signers: String,
    /// The roles an approval can be made in, each with the principals (the
    /// names in the allowed-signers file) who may act in it.
    #[serde(rename = "role")]
    pub roles: Vec<RoleSpec>,
    /// Roles that must each have a valid approval before a release ships.
    #[serde(default)]
    pub required_roles: Vec<String>,
    /// Fewest distinct people whose valid approvals a release needs.
    #[serde(default)]
    pub min_approvers: usize,
    /// One principal cannot fill two required roles.
    #[serde(default)]
    pub distinct_people: bool,
    /// Only these roles may approve a Blocked release with `--override`.
    #[serde(default)]
    pub override_roles: Vec<String>,
    /// Only these roles may waive a gate or a finding.
    #[serde(default)]
    pub waiver_roles: Vec<String>,
    /// Fewest characters of an override's or a waiver's reason.
    #[serde(default = "default_min_reason_chars")]
    pub min_reason_chars: usize,
}

fn default_min_reason_chars() -> usize {
    10
}

/// One role and who may act in it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    pub name: String,
    pub principals: Vec<String>,
}

impl ApprovalsPolicy {
    /// The declared role named `name` (compared without case).
    pub fn role(&self, name: &str) -> Option<&RoleSpec> {
        self.roles
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(name.trim()))
    }

    /// The declared role `name`, or the `--role` usage message naming the
    /// declared ones.
    pub fn declared_role(&self, name: &str) -> std::result::Result<&RoleSpec, String> {
        self.role(name).ok_or_else(|| {
            format!(
                "--role {name}: not a role of [approvals] (declared: {})",
                self.role_names()
            )
        })
    }

    /// Whether role `name` is one of `list` (compared without case).
    pub fn listed(list: &[String], name: &str) -> bool {
        list.iter().any(|r| r.eq_ignore_ascii_case(name.trim()))
    }

    /// The declared role names, for messages.
    pub fn role_names(&self) -> String {
        let names: Vec<&str> = self.roles.iter().map(|r| r.name.as_str()).collect();
        names.join(", ")
    }

    /// Checks parsing alone cannot make: every role list names declared
    /// roles, no role is declared twice or has no principals. The error is
    /// `(anchor, message)`, the anchor being text on the offending line.
    pub fn check(&self) -> std::result::Result<(), (String, String)> {
        let mut seen = std::collections::HashSet::new();
        for r in &self.roles {
            if !seen.insert(r.name.to_ascii_lowercase()) {
                return Err((
                    format!("\"{}\"", r.name),
                    format!("approvals.role '{}' is declared twice", r.name),
                ));
            }
            if r.principals.iter().all(|p| p.trim().is_empty()) {
                return Err((
                    format!("\"{}\"", r.name),
                    format!("approvals.role '{}' has no principals", r.name),
                ));
            }
        }
        for (key, list) in [
            ("required_roles", &self.required_roles),
            ("override_roles", &self.override_roles),
            ("waiver_roles", &self.waiver_roles),
        ] {
            if let Some(unknown) = list.iter().find(|n| self.role(n).is_none()) {
                return Err((
                    key.to_string(),
                    format!(
                        "approvals.{key}: '{unknown}' is not a declared role (declared: {})",
                        self.role_names()
                    ),
                ));
            }
        }
        if self.allowed_signers.trim().is_empty() {
            return Err((
                "allowed_signers".into(),
                "approvals.allowed_signers must name a file".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(extra: &str) -> ApprovalsPolicy {
        toml::from_str(&format!(
            "allowed_signers = \"s\"\n{extra}\n[[role]]\nname = \"Release\"\nprincipals = [\"a@x\"]\n[[role]]\nname = \"QA\"\nprincipals = [\"b@x\"]\n"
        ))
        .unwrap()
    }

    #[test]
    fn role_lists_must_name_declared_roles() {
        assert!(parse("required_roles = [\"release\", \"QA\"]")
            .check()
            .is_ok());
        let (anchor, msg) = parse("override_roles = [\"Relase\"]").check().unwrap_err();
        assert_eq!(anchor, "override_roles");
        assert!(
            msg.contains("'Relase' is not a declared role (declared: Release, QA)"),
            "{msg}"
        );
        assert!(toml::from_str::<ApprovalsPolicy>(
            "allowed_signers = \"s\"\nrole = []\nrequired = 1"
        )
        .is_err());
    }
}
