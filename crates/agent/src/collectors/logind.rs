//! A parser for systemd-logind session files (`/run/systemd/sessions/<id>`),
//! the session source on systems that no longer write utmp.

/// What a session file says about one session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogindSession {
    pub user: String,
    pub tty: Option<String>,
    pub display: Option<String>,
    pub service: Option<String>,
    pub remote_host: Option<String>,
    pub state: Option<String>,
    pub class: Option<String>,
}

impl LogindSession {
    /// A human's session that is still open (not a greeter, not closing).
    pub fn is_open_user_session(&self) -> bool {
        !self.user.is_empty()
            && self.class.as_deref().is_none_or(|class| class == "user")
            && self.state.as_deref() != Some("closing")
    }

    /// Terminal, else display, else the service that opened it (`sshd`).
    pub fn session_name(&self) -> Option<String> {
        self.tty
            .clone()
            .or_else(|| self.display.clone())
            .or_else(|| self.service.clone())
    }
}

/// Parses the `KEY=value` lines of one session file.
pub fn parse_session_file(text: &str) -> LogindSession {
    let mut session = LogindSession::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        let optional = || (!value.is_empty()).then(|| value.to_owned());
        match key.trim() {
            "USER" => session.user = value.to_owned(),
            "TTY" => session.tty = optional(),
            "DISPLAY" => session.display = optional(),
            "SERVICE" => session.service = optional(),
            "REMOTE_HOST" => session.remote_host = optional(),
            "STATE" => session.state = optional(),
            "CLASS" => session.class = optional(),
            _ => {}
        }
    }
    session
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_ssh_session_is_parsed() {
        let session =
            parse_session_file(include_str!("../../tests/fixtures/logind_session_ssh.txt"));
        assert_eq!(session.user, "alice");
        assert_eq!(session.tty.as_deref(), Some("pts/0"));
        assert_eq!(session.remote_host.as_deref(), Some("192.0.2.10"));
        assert!(session.is_open_user_session());
        assert_eq!(session.session_name().as_deref(), Some("pts/0"));
    }

    #[test]
    fn greeter_and_closing_sessions_are_not_users() {
        let greeter = parse_session_file("USER=gdm\nCLASS=greeter\nSTATE=online\nDISPLAY=:0\n");
        assert!(!greeter.is_open_user_session());
        let closing = parse_session_file("USER=bob\nCLASS=user\nSTATE=closing\n");
        assert!(!closing.is_open_user_session());
        let desktop = parse_session_file(
            "USER=carol\nCLASS=user\nSTATE=active\nTYPE=wayland\nSERVICE=gdm-password\n",
        );
        assert!(desktop.is_open_user_session());
        assert_eq!(desktop.session_name().as_deref(), Some("gdm-password"));
    }
}
