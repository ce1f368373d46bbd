//! How each command type becomes a program and its argv, per target OS, as
//! pure functions (tested on Linux for every OS).
//!
//! **Invariant:** request arguments and environment values only ever become
//! separate argv entries or environment entries; they are never spliced into
//! shell, PowerShell or Python source text.

use gururmm_protocol::{CommandRequest, CommandType};
use std::path::{Path, PathBuf};

/// The OS family whose conventions an invocation follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetOs {
    Unix,
    Windows,
}

impl TargetOs {
    /// The OS this agent was built for.
    pub const CURRENT: TargetOs = if cfg!(windows) {
        TargetOs::Windows
    } else {
        TargetOs::Unix
    };
}

/// One argv entry: literal text, or the path of the script file the agent
/// writes the command body to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    ScriptPath,
}

/// What to run for a request, before the program is located.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Programs to try in order: names looked up on PATH, or absolute paths.
    pub candidates: Vec<String>,
    /// The error when none of the candidates exists.
    pub missing: String,
    /// File name extension of the script file, if the body goes to a file.
    pub script_extension: Option<&'static str>,
    pub args: Vec<Arg>,
}

impl Plan {
    /// The argv after the program, with the script file path filled in.
    pub fn argv(&self, script_path: Option<&Path>) -> Vec<std::ffi::OsString> {
        self.args
            .iter()
            .map(|arg| match arg {
                Arg::Text(text) => text.into(),
                Arg::ScriptPath => script_path.map(Into::into).unwrap_or_default(),
            })
            .collect()
    }
}

fn texts(values: &[String]) -> impl Iterator<Item = Arg> + '_ {
    values.iter().cloned().map(Arg::Text)
}

/// Builds the plan for `request` on `os`, or the reason it cannot run.
pub fn plan(request: &CommandRequest, os: TargetOs) -> Result<Plan, String> {
    let command = request.command.clone();
    let plan = match (request.command_type, os) {
        // `sh -c TEXT sh ARG…`: the arguments become $1…, never shell text.
        (CommandType::Shell, TargetOs::Unix) => Plan {
            candidates: vec!["/bin/sh".into()],
            missing: "/bin/sh is missing on this machine".into(),
            script_extension: None,
            args: [
                Arg::Text("-c".into()),
                Arg::Text(command),
                Arg::Text("sh".into()),
            ]
            .into_iter()
            .chain(texts(&request.args))
            .collect(),
        },
        // cmd.exe has no positional parameters for /C text; arguments follow
        // the text as separate argv entries (quoted by the runtime).
        (CommandType::Shell, TargetOs::Windows) => Plan {
            candidates: vec!["cmd.exe".into()],
            missing: "cmd.exe is missing on this machine".into(),
            script_extension: None,
            args: [
                Arg::Text("/D".into()),
                Arg::Text("/C".into()),
                Arg::Text(command),
            ]
            .into_iter()
            .chain(texts(&request.args))
            .collect(),
        },
        (CommandType::Powershell, os) => {
            let candidates = match os {
                TargetOs::Unix => vec!["pwsh".into()],
                TargetOs::Windows => vec!["pwsh.exe".into(), "powershell.exe".into()],
            };
            let mut args: Vec<Arg> = ["-NoProfile", "-NonInteractive"]
                .into_iter()
                .map(|a| Arg::Text(a.into()))
                .collect();
            if os == TargetOs::Windows {
                args.extend(["-ExecutionPolicy", "Bypass"].map(|a| Arg::Text(a.into())));
            }
            // PowerShell joins whatever follows `-Command` into the command
            // text, so with arguments the body goes to a file run with
            // `-File`, which binds them to $args without parsing them.
            let script_extension = if request.args.is_empty() {
                args.extend([Arg::Text("-Command".into()), Arg::Text(command)]);
                None
            } else {
                args.extend([Arg::Text("-File".into()), Arg::ScriptPath]);
                args.extend(texts(&request.args));
                Some("ps1")
            };
            Plan {
                candidates,
                missing: "powershell is not installed on this machine".into(),
                script_extension,
                args,
            }
        }
        (CommandType::Python, os) => {
            let name = match os {
                TargetOs::Unix => "python3",
                TargetOs::Windows => "python.exe",
            };
            Plan {
                candidates: vec![name.into()],
                missing: format!("{name} is not installed on this machine"),
                script_extension: None,
                args: [Arg::Text("-c".into()), Arg::Text(command)]
                    .into_iter()
                    .chain(texts(&request.args))
                    .collect(),
            }
        }
        (CommandType::Script, _) => {
            let interpreter = request
                .interpreter
                .as_deref()
                .map(str::trim)
                .filter(|i| !i.is_empty())
                .ok_or_else(|| "a script needs an interpreter (e.g. bash, python3)".to_owned())?;
            Plan {
                candidates: vec![interpreter.to_owned()],
                missing: format!("the interpreter {interpreter} was not found on this machine"),
                script_extension: Some(script_extension_for(interpreter, os)),
                args: std::iter::once(Arg::ScriptPath)
                    .chain(texts(&request.args))
                    .collect(),
            }
        }
    };
    Ok(plan)
}

/// Windows picks behaviour by extension (PowerShell refuses other files with
/// `-File`); elsewhere the extension is only a hint for people reading `ps`.
fn script_extension_for(interpreter: &str, os: TargetOs) -> &'static str {
    let name = interpreter
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(interpreter)
        .to_ascii_lowercase();
    let name = name.strip_suffix(".exe").unwrap_or(&name);
    match name {
        "pwsh" | "powershell" => "ps1",
        n if n.starts_with("python") => "py",
        "cmd" if os == TargetOs::Windows => "cmd",
        _ => "sh",
    }
}

/// Finds `program` on `path_var` (or takes it as is if it has a directory
/// part), using `is_executable` to test candidates.
pub fn locate(
    program: &str,
    path_var: Option<&str>,
    os: TargetOs,
    is_executable: impl Fn(&Path) -> bool,
) -> Option<PathBuf> {
    let has_directory =
        program.contains('/') || (os == TargetOs::Windows && program.contains('\\'));
    if has_directory {
        let path = PathBuf::from(program);
        return (path.is_absolute() && is_executable(&path)).then_some(path);
    }
    let separator = match os {
        TargetOs::Unix => ':',
        TargetOs::Windows => ';',
    };
    path_var?
        .split(separator)
        .filter(|dir| !dir.is_empty())
        .map(|dir| Path::new(dir).join(program))
        .find(|candidate| is_executable(candidate))
}

/// PATH for commands run as another user: the system directories only.
pub const USER_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Whether `name` can be an environment variable name.
pub fn valid_env_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['=', '\0'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use gururmm_protocol::{CommandId, RunAs};

    fn request(command_type: CommandType, command: &str, args: &[&str]) -> CommandRequest {
        CommandRequest {
            id: CommandId::new(),
            command_type,
            command: command.into(),
            interpreter: None,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            env: Default::default(),
            working_dir: None,
            timeout_seconds: 60,
            run_as: RunAs::System,
            output_limit_bytes: 1024,
        }
    }

    fn check(request: &CommandRequest, os: TargetOs, program: &[&str], argv: &[&str]) {
        let plan = plan(request, os).unwrap();
        assert_eq!(plan.candidates, program);
        let built: Vec<String> = plan
            .argv(Some(Path::new("/tmp/x/script")))
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        assert_eq!(built, argv);
    }

    const HOSTILE: &str = "a'b\"c; rm -rf / $(id) `id`\n";

    #[test]
    fn shell_arguments_are_positional_parameters() {
        let r = request(CommandType::Shell, "echo \"$1\"", &[HOSTILE, "two"]);
        check(
            &r,
            TargetOs::Unix,
            &["/bin/sh"],
            &["-c", "echo \"$1\"", "sh", HOSTILE, "two"],
        );
        check(
            &r,
            TargetOs::Windows,
            &["cmd.exe"],
            &["/D", "/C", "echo \"$1\"", HOSTILE, "two"],
        );
    }

    #[test]
    fn powershell_uses_command_without_arguments_and_a_file_with_them() {
        let r = request(CommandType::Powershell, "Get-Date", &[]);
        check(
            &r,
            TargetOs::Unix,
            &["pwsh"],
            &["-NoProfile", "-NonInteractive", "-Command", "Get-Date"],
        );
        check(
            &r,
            TargetOs::Windows,
            &["pwsh.exe", "powershell.exe"],
            &[
                "-NoProfile",
                "-NonInteractive",
                "-ExecutionPolicy",
                "Bypass",
                "-Command",
                "Get-Date",
            ],
        );
        let with_args = request(CommandType::Powershell, "$args", &[HOSTILE]);
        let plan = plan(&with_args, TargetOs::Unix).unwrap();
        assert_eq!(plan.script_extension, Some("ps1"));
        check(
            &with_args,
            TargetOs::Unix,
            &["pwsh"],
            &[
                "-NoProfile",
                "-NonInteractive",
                "-File",
                "/tmp/x/script",
                HOSTILE,
            ],
        );
        assert_eq!(plan.missing, "powershell is not installed on this machine");
    }

    #[test]
    fn python_and_scripts_take_arguments_after_the_code() {
        let r = request(CommandType::Python, "import sys", &[HOSTILE]);
        check(
            &r,
            TargetOs::Unix,
            &["python3"],
            &["-c", "import sys", HOSTILE],
        );
        check(
            &r,
            TargetOs::Windows,
            &["python.exe"],
            &["-c", "import sys", HOSTILE],
        );
        let mut script = request(CommandType::Script, "echo hi", &["x y"]);
        assert!(plan(&script, TargetOs::Unix)
            .unwrap_err()
            .contains("needs an interpreter"));
        script.interpreter = Some("/usr/bin/python3".into());
        check(
            &script,
            TargetOs::Unix,
            &["/usr/bin/python3"],
            &["/tmp/x/script", "x y"],
        );
        assert_eq!(
            plan(&script, TargetOs::Unix).unwrap().script_extension,
            Some("py")
        );
        script.interpreter = Some("powershell.exe".into());
        assert_eq!(
            plan(&script, TargetOs::Windows).unwrap().script_extension,
            Some("ps1")
        );
    }

    #[test]
    fn programs_are_found_on_path_or_by_absolute_path_only() {
        let exists = |p: &Path| p == Path::new("/usr/bin/bash") || p == Path::new("/opt/x/tool");
        assert_eq!(
            locate("bash", Some("/bin:/usr/bin"), TargetOs::Unix, exists),
            Some("/usr/bin/bash".into())
        );
        assert_eq!(
            locate("/opt/x/tool", None, TargetOs::Unix, exists),
            Some("/opt/x/tool".into())
        );
        assert_eq!(
            locate("pwsh", Some("/bin:/usr/bin"), TargetOs::Unix, exists),
            None
        );
        assert_eq!(locate("bash", None, TargetOs::Unix, exists), None);
        assert_eq!(locate("x/tool", Some("/opt"), TargetOs::Unix, exists), None);
        // Joined the way this OS joins paths; the search itself is the same.
        let windows = |p: &Path| p == Path::new(r"C:\Python").join("python.exe");
        assert_eq!(
            locate(
                "python.exe",
                Some(r"C:\Windows;C:\Python"),
                TargetOs::Windows,
                windows
            ),
            Some(Path::new(r"C:\Python").join("python.exe"))
        );
    }

    #[test]
    fn environment_names_must_be_usable() {
        assert!(valid_env_name("FOO_1"));
        assert!(!valid_env_name(""));
        assert!(!valid_env_name("A=B"));
        assert!(!valid_env_name("A\0"));
    }
}
