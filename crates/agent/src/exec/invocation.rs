//! How each command type becomes a program and its argv, per target OS, as
//! pure functions (tested on Linux for every OS).
//!
//! **Invariant:** request arguments and environment values only ever become
//! separate argv entries or environment entries; they are never spliced into
//! shell, PowerShell or Python source text, nor into a command line that
//! cmd.exe parses.
//!
//! cmd.exe is the odd one: it takes its command line as one string and parses
//! it itself (`&`, `|`, `%VAR%`, `^`…), and `%` expansion happens even inside
//! quotes, so no quoting of an argument is safe. On Windows a `shell` command
//! (and a `script` run by `cmd`) is therefore written to a `.cmd` file that
//! cmd.exe runs as `cmd.exe /D /Q /S /C ""<file>""`, and its arguments reach
//! it only as environment variables: `GURURMM_ARG_1`… and `GURURMM_ARG_COUNT`
//! (plus the variables a script library's parameters set). Read them with
//! delayed expansion (`setlocal EnableDelayedExpansion`, then
//! `!GURURMM_ARG_1!`), which does not re-parse the value; `%GURURMM_ARG_1%`
//! would splice it into the line before parsing. PowerShell gets its
//! arguments as data through `-File <script> <args…>`.
//!
//! [`prepare`] turns the plan into an [`Invocation`], what the agent spawns:
//! it resolves the run context, builds the environment, locates the program
//! on this machine (a PowerShell must first state its version: Wine's
//! `powershell.exe` is a stub that exits 0 without running anything) and
//! writes the script file. It is the only part of this
//! module that touches the machine; everything it decides with is one of the
//! pure functions above it.

use super::accounts::Account;
use super::os;
use super::spool;
use crate::process::{self, SpawnSpec};
use gururmm_protocol::{CommandId, CommandRequest, CommandType};
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

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
    /// The script path as cmd.exe's `/S /C` wants it on a verbatim command
    /// line: `""<path>""` (it strips the outer pair and runs the quoted path).
    CmdScriptPath,
}

/// How the command body is written to the script file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptFormat {
    /// Byte for byte.
    Verbatim,
    /// A batch file for cmd.exe: CRLF line ends (cmd's `goto` and `call
    /// :label` misread LF-only files) and a first line that makes cmd read
    /// the rest as UTF-8 (the body is UTF-8; cmd would use the OEM code page).
    Batch,
}

/// Prepended to batch files; `@` and `>nul` keep it out of the output.
pub const BATCH_PROLOGUE: &str = "@chcp 65001 >nul\r\n";

/// Environment variables carrying a Windows `shell` command's arguments.
pub const ARG_VARIABLE_PREFIX: &str = "GURURMM_ARG_";
pub const ARG_COUNT_VARIABLE: &str = "GURURMM_ARG_COUNT";

/// What to run for a request, before the program is located.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Programs to try in order: names looked up on PATH, or absolute paths.
    pub candidates: Vec<String>,
    /// The error when none of the candidates exists.
    pub missing: String,
    /// File name extension of the script file, if the body goes to a file.
    pub script_extension: Option<&'static str>,
    pub script_format: ScriptFormat,
    pub args: Vec<Arg>,
    /// Windows: the arguments go on the command line as they are, without
    /// the C runtime's quoting, because the program (cmd.exe) parses its
    /// command line itself. Only ever agent-made text is passed this way.
    pub verbatim_command_line: bool,
    /// Environment variables to set on top of the command's environment.
    pub env: Vec<(String, String)>,
    /// The program must prove it is PowerShell before it is used: Wine's
    /// `powershell.exe` is a stub that runs nothing and exits 0, which would
    /// report every PowerShell command a success.
    pub must_be_powershell: bool,
}

impl Plan {
    fn new(candidates: Vec<String>, missing: String, args: Vec<Arg>) -> Self {
        Self {
            candidates,
            missing,
            script_extension: None,
            script_format: ScriptFormat::Verbatim,
            args,
            verbatim_command_line: false,
            env: Vec::new(),
            must_be_powershell: false,
        }
    }

    /// The argv after the program, with the script file path filled in.
    pub fn argv(&self, script_path: Option<&Path>) -> Result<Vec<OsString>, String> {
        self.args
            .iter()
            .map(|arg| match arg {
                Arg::Text(text) => Ok(text.into()),
                Arg::ScriptPath => Ok(script_path.map(Into::into).unwrap_or_default()),
                Arg::CmdScriptPath => {
                    let path = script_path.ok_or("no script file for cmd.exe")?;
                    Ok(format!("\"\"{}\"\"", cmd_safe_path(path)?).into())
                }
            })
            .collect()
    }

    /// The text of the script file for `command`.
    pub fn script_body(&self, command: &str) -> String {
        match self.script_format {
            ScriptFormat::Verbatim => command.to_owned(),
            ScriptFormat::Batch => {
                let mut body = String::with_capacity(BATCH_PROLOGUE.len() + command.len() + 64);
                body.push_str(BATCH_PROLOGUE);
                for (index, line) in command.split('\n').enumerate() {
                    if index > 0 {
                        body.push_str("\r\n");
                    }
                    body.push_str(line.strip_suffix('\r').unwrap_or(line));
                }
                body
            }
        }
    }
}

/// A path cmd.exe reads literally between double quotes: `%` (and `!`
/// under delayed expansion) would be expanded even there, and `"` or a
/// control character would end or break the quoting. The agent makes these
/// paths itself, so this fails only with an unusual temporary directory.
pub fn cmd_safe_path(path: &Path) -> Result<&str, String> {
    let text = path
        .to_str()
        .ok_or_else(|| format!("the script path {} is not valid Unicode", path.display()))?;
    if text.contains(['%', '!', '"']) || text.chars().any(char::is_control) {
        return Err(format!(
            "cmd.exe cannot run the script file {text}: its path contains %, !, \" or a control \
             character (set TEMP to a plainer directory)"
        ));
    }
    Ok(text)
}

/// `GURURMM_ARG_1`… and `GURURMM_ARG_COUNT` for `args`.
fn argument_variables(args: &[String]) -> Result<Vec<(String, String)>, String> {
    if args.iter().any(|arg| arg.contains('\0')) {
        return Err("an argument contains a NUL character".into());
    }
    Ok(args
        .iter()
        .enumerate()
        .map(|(index, arg)| (format!("{ARG_VARIABLE_PREFIX}{}", index + 1), arg.clone()))
        .chain([(ARG_COUNT_VARIABLE.to_owned(), args.len().to_string())])
        .collect())
}

/// A batch file run by `program` (cmd.exe) with its arguments in the
/// environment; see the module documentation.
fn batch_plan(program: String, missing: String, args: &[String]) -> Result<Plan, String> {
    Ok(Plan {
        script_extension: Some("cmd"),
        script_format: ScriptFormat::Batch,
        verbatim_command_line: true,
        env: argument_variables(args)?,
        ..Plan::new(
            vec![program],
            missing,
            // No AutoRun commands, no echo of each line, and `/S` so the
            // quotes around the path are handled one way only.
            vec![
                Arg::Text("/D".into()),
                Arg::Text("/Q".into()),
                Arg::Text("/S".into()),
                Arg::Text("/C".into()),
                Arg::CmdScriptPath,
            ],
        )
    })
}

/// Sets `extra` in `env`, replacing variables of the same name (compared
/// case-insensitively on Windows, as Windows does).
pub fn set_env(env: &mut Vec<(OsString, OsString)>, extra: &[(String, String)], os: TargetOs) {
    for (name, value) in extra {
        env.retain(|(existing, _)| match os {
            TargetOs::Unix => existing != name.as_str(),
            TargetOs::Windows => !existing.eq_ignore_ascii_case(name),
        });
        env.push((name.into(), value.into()));
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
        (CommandType::Shell, TargetOs::Unix) => Plan::new(
            vec!["/bin/sh".into()],
            "/bin/sh is missing on this machine".into(),
            [
                Arg::Text("-c".into()),
                Arg::Text(command),
                Arg::Text("sh".into()),
            ]
            .into_iter()
            .chain(texts(&request.args))
            .collect(),
        ),
        // cmd.exe would re-parse anything on its command line: the text goes
        // to a batch file and the arguments to the environment.
        (CommandType::Shell, TargetOs::Windows) => batch_plan(
            "cmd.exe".into(),
            "cmd.exe is missing on this machine".into(),
            &request.args,
        )?,
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
                script_extension,
                must_be_powershell: true,
                ..Plan::new(
                    candidates,
                    "powershell is not installed on this machine".into(),
                    args,
                )
            }
        }
        (CommandType::Python, os) => {
            let name = match os {
                TargetOs::Unix => "python3",
                TargetOs::Windows => "python.exe",
            };
            Plan::new(
                vec![name.into()],
                format!("{name} is not installed on this machine"),
                [Arg::Text("-c".into()), Arg::Text(command)]
                    .into_iter()
                    .chain(texts(&request.args))
                    .collect(),
            )
        }
        (CommandType::Registry, _) => {
            return Err("a registry operation is carried out by the agent, not spawned".into())
        }
        (CommandType::Script, _) => {
            let interpreter = request
                .interpreter
                .as_deref()
                .map(str::trim)
                .filter(|i| !i.is_empty())
                .ok_or_else(|| "a script needs an interpreter (e.g. bash, python3)".to_owned())?;
            let missing = format!("the interpreter {interpreter} was not found on this machine");
            match script_extension_for(interpreter, os) {
                // A batch script, like a Windows shell command.
                "cmd" => batch_plan(interpreter.to_owned(), missing, &request.args)?,
                extension => Plan {
                    script_extension: Some(extension),
                    must_be_powershell: extension == "ps1",
                    ..Plan::new(
                        vec![interpreter.to_owned()],
                        missing,
                        std::iter::once(Arg::ScriptPath)
                            .chain(texts(&request.args))
                            .collect(),
                    )
                },
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
/// part), using `is_executable` to test candidates. On Windows a name without
/// an extension means `<name>.exe`, as for `CreateProcess` (so an interpreter
/// can be given as `cmd` or `python`).
pub fn locate(
    program: &str,
    path_var: Option<&str>,
    os: TargetOs,
    is_executable: impl Fn(&Path) -> bool,
) -> Option<PathBuf> {
    let file_name = program.rsplit(['/', '\\']).next().unwrap_or(program);
    let with_exe;
    let program = if os == TargetOs::Windows && !file_name.contains('.') {
        with_exe = format!("{program}.exe");
        with_exe.as_str()
    } else {
        program
    };
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

/// What a program is asked to prove it is PowerShell: its major version.
pub const POWERSHELL_PROBE_ARGS: [&str; 4] = [
    "-NoProfile",
    "-NonInteractive",
    "-Command",
    "$PSVersionTable.PSVersion.Major",
];

/// The major version in PowerShell's answer to [`POWERSHELL_PROBE_ARGS`];
/// `None` for anything else (Wine's stub prints nothing).
pub fn powershell_major_version(stdout: &str) -> Option<u32> {
    stdout.trim().parse().ok().filter(|major| *major > 0)
}

/// PATH for commands run as another user: the system directories only.
pub const USER_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Whether `name` can be an environment variable name.
pub fn valid_env_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['=', '\0'])
}

// Everything below `plan` so far was pure; from here on, preparation looks at
// the machine (accounts, PATH, the working directory) and writes files.

/// A command ready to spawn: what [`plan`] says, with the program located,
/// the environment built, the account resolved and the script file written.
/// Dropping it removes the script file.
pub(crate) struct Invocation {
    pub(crate) program: PathBuf,
    args: Vec<OsString>,
    /// See [`Plan::verbatim_command_line`].
    verbatim_command_line: bool,
    env: Vec<(OsString, OsString)>,
    working_dir: Option<PathBuf>,
    /// The account to switch to; `None` for the agent's own.
    pub(crate) account: Option<Account>,
    _script: Option<ScriptDir>,
}

impl Invocation {
    /// What [`crate::process::spawn_command`] starts.
    pub(crate) fn spawn_spec(&self) -> SpawnSpec<'_> {
        SpawnSpec {
            program: &self.program,
            args: &self.args,
            verbatim_command_line: self.verbatim_command_line,
            env: &self.env,
            working_dir: self.working_dir.as_deref(),
        }
    }
}

/// A private temporary directory holding a script body; removed on drop.
struct ScriptDir(PathBuf);

impl Drop for ScriptDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn is_executable(path: &Path) -> bool {
    match std::fs::metadata(path) {
        #[cfg(unix)]
        Ok(metadata) => {
            use std::os::unix::fs::PermissionsExt;
            metadata.is_file() && metadata.permissions().mode() & 0o111 != 0
        }
        #[cfg(not(unix))]
        Ok(metadata) => metadata.is_file(),
        Err(_) => false,
    }
}

/// The environment of a command: the agent's own (without its `GURURMM_*`
/// settings, which include the enrollment key) for the system context, a
/// clean login-like one for another account; then the request's variables.
fn command_env(
    request: &CommandRequest,
    account: Option<&Account>,
    agent_env: impl Iterator<Item = (OsString, OsString)>,
) -> Result<Vec<(OsString, OsString)>, String> {
    let agent_env: BTreeMap<OsString, OsString> = agent_env.collect();
    let mut env: BTreeMap<OsString, OsString> = match account {
        None => agent_env
            .into_iter()
            .filter(|(name, _)| !name.to_string_lossy().starts_with("GURURMM_"))
            .collect(),
        Some(account) => {
            let mut env: BTreeMap<OsString, OsString> = [
                ("HOME", account.home.as_os_str().to_owned()),
                ("USER", account.name.clone().into()),
                ("LOGNAME", account.name.clone().into()),
                ("SHELL", account.shell.clone().into()),
                ("PATH", USER_PATH.into()),
            ]
            .into_iter()
            .map(|(k, v)| (OsString::from(k), v))
            .collect();
            if let Some(lang) = agent_env.get(OsStr::new("LANG")) {
                env.insert("LANG".into(), lang.clone());
            }
            env
        }
    };
    for (name, value) in &request.env {
        if !valid_env_name(name) || value.contains('\0') {
            return Err(format!("invalid environment variable {name:?}"));
        }
        env.insert(name.into(), value.into());
    }
    Ok(env.into_iter().collect())
}

/// How long PowerShell may take to state its version (its first start on a
/// busy machine is slow).
const POWERSHELL_PROBE_TIMEOUT: Duration = Duration::from_secs(30);

/// PowerShell programs that answered the probe. A success is remembered for
/// the agent's lifetime, so only the first PowerShell command pays for a second
/// start; a failure is not, so PowerShell installed later is found.
static PROVEN_POWERSHELL: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Whether `program` is a PowerShell that runs commands (see
/// [`Plan::must_be_powershell`]).
async fn is_working_powershell(program: &Path) -> bool {
    let proven = || {
        PROVEN_POWERSHELL
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    };
    if proven().iter().any(|known| known == program) {
        return true;
    }
    let Some(text) = program.to_str().map(str::to_owned) else {
        return false;
    };
    let answer = tokio::task::spawn_blocking(move || {
        process::run(&text, &POWERSHELL_PROBE_ARGS, POWERSHELL_PROBE_TIMEOUT)
    })
    .await;
    let works = match answer {
        Ok(Ok(output)) => {
            output.exit_code == Some(0) && powershell_major_version(&output.stdout).is_some()
        }
        Ok(Err(error)) => {
            tracing::info!("{error}");
            false
        }
        Err(_) => false,
    };
    if works {
        proven().push(program.to_owned());
    }
    works
}

/// Everything that can fail before the process starts, with the message the
/// server shows.
pub(crate) async fn prepare(request: &CommandRequest) -> Result<Invocation, String> {
    let account = os::resolve_run_as(&request.run_as)?;
    let mut env = command_env(request, account.as_ref(), std::env::vars_os())?;
    let plan = plan(request, TargetOs::CURRENT)?;
    // The arguments of a Windows batch command: set last, so they win.
    set_env(&mut env, &plan.env, TargetOs::CURRENT);
    // Windows spells it `Path` and compares environment names case-insensitively.
    let path_var = env
        .iter()
        .rev()
        .find(|(name, _)| match TargetOs::CURRENT {
            TargetOs::Unix => name == "PATH",
            TargetOs::Windows => name.eq_ignore_ascii_case("PATH"),
        })
        .and_then(|(_, value)| value.to_str());
    let located: Vec<PathBuf> = plan
        .candidates
        .iter()
        .filter_map(|candidate| locate(candidate, path_var, TargetOs::CURRENT, is_executable))
        .collect();
    let mut program = None;
    for candidate in &located {
        if !plan.must_be_powershell || is_working_powershell(candidate).await {
            program = Some(candidate.clone());
            break;
        }
    }
    let program = match (program, located.first()) {
        (Some(program), _) => program,
        (None, None) => return Err(plan.missing.clone()),
        (None, Some(impostor)) => {
            return Err(format!(
                "{} ({} is not a working PowerShell: it did not report its version)",
                plan.missing,
                impostor.display()
            ))
        }
    };
    let working_dir = match request.working_dir.as_deref().filter(|d| !d.is_empty()) {
        Some(dir) => {
            if !Path::new(dir).is_dir() {
                return Err(format!("the working directory {dir} does not exist"));
            }
            Some(PathBuf::from(dir))
        }
        None => account.as_ref().map(|account| {
            if account.home.is_dir() {
                account.home.clone()
            } else {
                PathBuf::from("/")
            }
        }),
    };
    let (script, script_path) = match plan.script_extension {
        Some(extension) => {
            let body = plan.script_body(&request.command);
            let (dir, path) = write_script(request.id, &body, extension, account.as_ref())
                .map_err(|error| format!("could not write the script file: {error}"))?;
            (Some(dir), Some(path))
        }
        None => (None, None),
    };
    Ok(Invocation {
        program,
        args: plan.argv(script_path.as_deref())?,
        verbatim_command_line: plan.verbatim_command_line,
        env,
        working_dir,
        account,
        _script: script,
    })
}

/// Writes `body` to `<temp>/gururmm-<id>-<random>/script.<ext>`: a fresh
/// directory (creation fails rather than reuse anything) with mode 0700, owned
/// by the account that runs it.
fn write_script(
    id: CommandId,
    body: &str,
    extension: &str,
    account: Option<&Account>,
) -> std::io::Result<(ScriptDir, PathBuf)> {
    use std::io::Write;
    let dir = std::env::temp_dir().join(format!("gururmm-{id}-{}", uuid::Uuid::new_v4().simple()));
    spool::create_private_dir(&dir)?;
    let guard = ScriptDir(dir.clone());
    let path = dir.join(format!("script.{extension}"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o700);
    }
    let mut file = options.open(&path)?;
    file.write_all(body.as_bytes())?;
    file.sync_all()?;
    drop(file);
    os::hand_over(&dir, account)?;
    os::hand_over(&path, account)?;
    Ok((guard, path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gururmm_protocol::RunAs;

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
        assert!(!plan.verbatim_command_line);
        assert_eq!(plan.env, []);
        let built: Vec<String> = plan
            .argv(Some(Path::new("/tmp/x/script")))
            .unwrap()
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        assert_eq!(built, argv);
    }

    const HOSTILE: &str = "a'b\"c; rm -rf / $(id) `id`\n";

    /// Arguments that cmd.exe would act on if they reached its command line.
    const CMD_HOSTILE: [&str; 7] = [
        "a & calc",
        "x\" & calc & \"",
        "%PATH%",
        "!PATH!",
        "^& calc",
        "| calc > out",
        "line\r\ncalc",
    ];

    /// The command line Windows hands cmd.exe for `plan`, after the program:
    /// the argv entries joined by spaces, as they are (verbatim).
    fn windows_command_line(plan: &Plan, script: &Path) -> String {
        assert!(plan.verbatim_command_line);
        plan.argv(Some(script))
            .unwrap()
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn unix_shell_arguments_are_positional_parameters() {
        let r = request(CommandType::Shell, "echo \"$1\"", &[HOSTILE, "two"]);
        check(
            &r,
            TargetOs::Unix,
            &["/bin/sh"],
            &["-c", "echo \"$1\"", "sh", HOSTILE, "two"],
        );
        assert_eq!(plan(&r, TargetOs::Unix).unwrap().script_extension, None);
    }

    #[test]
    fn windows_shell_arguments_never_reach_the_cmd_command_line() {
        let text = "setlocal EnableDelayedExpansion\necho !GURURMM_ARG_1!";
        let r = request(CommandType::Shell, text, &CMD_HOSTILE);
        let plan = plan(&r, TargetOs::Windows).unwrap();
        assert_eq!(plan.candidates, ["cmd.exe"]);
        assert_eq!(plan.script_extension, Some("cmd"));
        let script = Path::new(r"C:\Windows\SystemTemp\gururmm-1-2\script.cmd");
        let line = windows_command_line(&plan, script);
        // Only agent-made text: the switches and the quoted script path.
        assert_eq!(
            line,
            r#"/D /Q /S /C ""C:\Windows\SystemTemp\gururmm-1-2\script.cmd"""#
        );
        for hostile in CMD_HOSTILE {
            assert!(!line.contains(hostile), "{hostile:?} in {line}");
        }
        assert!(
            !line.contains("GURURMM_ARG"),
            "the command text is in the file"
        );
        // The arguments are data in the environment, numbered from 1.
        let mut expected: Vec<(String, String)> = CMD_HOSTILE
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("GURURMM_ARG_{}", i + 1), (*a).to_owned()))
            .collect();
        expected.push(("GURURMM_ARG_COUNT".into(), "7".into()));
        assert_eq!(plan.env, expected);
    }

    #[test]
    fn cmd_scripts_are_batch_files_with_their_arguments_in_the_environment() {
        let mut script = request(CommandType::Script, "echo %1", &["a & calc"]);
        script.interpreter = Some(r"C:\Windows\System32\cmd.exe".into());
        let plan = plan(&script, TargetOs::Windows).unwrap();
        assert_eq!(plan.candidates, [r"C:\Windows\System32\cmd.exe"]);
        let line = windows_command_line(&plan, Path::new(r"C:\T\x\script.cmd"));
        assert_eq!(line, r#"/D /Q /S /C ""C:\T\x\script.cmd"""#);
        assert_eq!(
            plan.env,
            [
                ("GURURMM_ARG_1".to_owned(), "a & calc".to_owned()),
                ("GURURMM_ARG_COUNT".to_owned(), "1".to_owned())
            ]
        );
        // A NUL cannot be in an environment variable: refused, not cut short.
        let nul = request(CommandType::Shell, "echo", &["a\0b"]);
        assert_eq!(
            plan_error(&nul, TargetOs::Windows),
            "an argument contains a NUL character"
        );
    }

    fn plan_error(request: &CommandRequest, os: TargetOs) -> String {
        plan(request, os).unwrap_err()
    }

    #[test]
    fn a_script_path_cmd_would_expand_is_refused() {
        let r = request(CommandType::Shell, "echo", &[]);
        let plan = plan(&r, TargetOs::Windows).unwrap();
        for unusable in [
            r"C:\Users\100%USERNAME%\Temp\script.cmd",
            r"C:\Temp!x!\script.cmd",
            "C:\\Temp\n\\script.cmd",
        ] {
            let error = plan.argv(Some(Path::new(unusable))).unwrap_err();
            assert!(
                error.contains("cmd.exe cannot run the script file"),
                "{error}"
            );
        }
        // Spaces and other characters are literal between the quotes.
        let spaced = windows_command_line(
            &plan,
            Path::new(r"C:\Users\Jo Smith (IT) & Co\Temp\script.cmd"),
        );
        assert_eq!(
            spaced,
            r#"/D /Q /S /C ""C:\Users\Jo Smith (IT) & Co\Temp\script.cmd"""#
        );
    }

    #[test]
    fn batch_files_get_crlf_and_a_utf8_code_page() {
        let plan = plan(
            &request(
                CommandType::Shell,
                "echo é\nif 1==1 goto end\r\n:end\n",
                &[],
            ),
            TargetOs::Windows,
        )
        .unwrap();
        assert_eq!(
            plan.script_body("echo é\nif 1==1 goto end\r\n:end\n"),
            "@chcp 65001 >nul\r\necho é\r\nif 1==1 goto end\r\n:end\r\n"
        );
        // Every other script is written byte for byte.
        let mut bash = request(CommandType::Script, "echo hi\n", &[]);
        bash.interpreter = Some("bash".into());
        assert_eq!(
            plan_ok(&bash, TargetOs::Unix).script_body("echo hi\n"),
            "echo hi\n"
        );
    }

    fn plan_ok(request: &CommandRequest, os: TargetOs) -> Plan {
        plan(request, os).unwrap()
    }

    #[test]
    fn extra_variables_replace_the_same_name_case_insensitively_on_windows() {
        let base = || -> Vec<(OsString, OsString)> {
            vec![
                ("gururmm_arg_1".into(), "from the request".into()),
                ("PATH".into(), "p".into()),
            ]
        };
        let extra = [("GURURMM_ARG_1".to_owned(), "a & calc".to_owned())];
        let mut windows = base();
        set_env(&mut windows, &extra, TargetOs::Windows);
        assert_eq!(
            windows,
            [
                ("PATH".into(), "p".into()),
                ("GURURMM_ARG_1".into(), "a & calc".into())
            ]
        );
        let mut unix = base();
        set_env(&mut unix, &extra, TargetOs::Unix);
        assert_eq!(unix.len(), 3);
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
    fn powershell_is_used_only_once_it_states_its_version() {
        let mut script = request(CommandType::Script, "Get-Date", &[]);
        script.interpreter = Some("C:\\Tools\\PowerShell.exe".into());
        for (request, os) in [
            (
                request(CommandType::Powershell, "Get-Date", &[]),
                TargetOs::Windows,
            ),
            (
                request(CommandType::Powershell, "Get-Date", &[]),
                TargetOs::Unix,
            ),
            (script.clone(), TargetOs::Windows),
        ] {
            assert!(plan_ok(&request, os).must_be_powershell, "{request:?}");
        }
        script.interpreter = Some("bash".into());
        assert!(!plan_ok(&script, TargetOs::Unix).must_be_powershell);
        assert!(
            !plan_ok(&request(CommandType::Shell, "dir", &[]), TargetOs::Windows)
                .must_be_powershell
        );

        // Windows PowerShell 5.1, PowerShell 7, and Wine's stub (no output).
        assert_eq!(powershell_major_version("5\r\n"), Some(5));
        assert_eq!(powershell_major_version("7\n"), Some(7));
        for impostor in ["", "\r\n", "$PSVersionTable.PSVersion.Major", "0"] {
            assert_eq!(powershell_major_version(impostor), None, "{impostor:?}");
        }
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
        // Without an extension, `.exe` is meant, as CreateProcess takes it;
        // with one, the name is taken as it is.
        assert_eq!(
            locate(
                "python",
                Some(r"C:\Windows;C:\Python"),
                TargetOs::Windows,
                windows
            ),
            Some(Path::new(r"C:\Python").join("python.exe"))
        );
        assert_eq!(
            locate("python.com", Some(r"C:\Python"), TargetOs::Windows, windows),
            None
        );
        // Unix names stay as they are.
        assert_eq!(
            locate("python3", Some("/opt"), TargetOs::Unix, |p: &Path| p
                == Path::new("/opt/python3.exe")),
            None
        );
    }

    #[test]
    fn environment_names_must_be_usable() {
        assert!(valid_env_name("FOO_1"));
        assert!(!valid_env_name(""));
        assert!(!valid_env_name("A=B"));
        assert!(!valid_env_name("A\0"));
    }

    fn agent_env() -> impl Iterator<Item = (OsString, OsString)> {
        [
            ("PATH", "/agent/bin"),
            ("LANG", "C.UTF-8"),
            ("GURURMM_ENROLL_KEY", "grk_secret"),
            ("GURURMM_SERVER_URL", "https://rmm"),
            ("SECRET_OF_ROOT", "x"),
        ]
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
    }

    fn env_request(env: &[(&str, &str)]) -> CommandRequest {
        CommandRequest {
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..request(CommandType::Shell, "true", &[])
        }
    }

    fn check_env(env: Result<Vec<(OsString, OsString)>, String>, expected: &[(&str, &str)]) {
        let env: Vec<(String, String)> = env
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k.into_string().unwrap(), v.into_string().unwrap()))
            .collect();
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(env, expected);
    }

    #[test]
    fn system_commands_inherit_the_agent_environment_without_its_settings() {
        let env = command_env(
            &env_request(&[("PATH", "/custom"), ("X", "$(y)")]),
            None,
            agent_env(),
        );
        check_env(
            env,
            &[
                ("LANG", "C.UTF-8"),
                ("PATH", "/custom"),
                ("SECRET_OF_ROOT", "x"),
                ("X", "$(y)"),
            ],
        );
    }

    #[test]
    fn user_commands_get_a_clean_login_environment() {
        let account = Account {
            name: "alice".into(),
            uid: 1000,
            gid: 1000,
            groups: vec![1000],
            home: "/home/alice".into(),
            shell: "/bin/zsh".into(),
        };
        let env = command_env(&env_request(&[("FOO", "bar")]), Some(&account), agent_env());
        check_env(
            env,
            &[
                ("FOO", "bar"),
                ("HOME", "/home/alice"),
                ("LANG", "C.UTF-8"),
                ("LOGNAME", "alice"),
                ("PATH", USER_PATH),
                ("SHELL", "/bin/zsh"),
                ("USER", "alice"),
            ],
        );
    }

    #[test]
    fn unusable_variables_are_refused() {
        for bad in [("", "x"), ("A=B", "x"), ("A", "nul\0byte")] {
            let r = env_request(&[bad]);
            assert!(command_env(&r, None, agent_env()).is_err(), "{bad:?}");
        }
    }
}
