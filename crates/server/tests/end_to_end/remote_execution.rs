//! Remote execution end to end: the real server and agent binaries running
//! real processes. Every command type available here, exit codes, output
//! limits, hostile arguments, timeouts and cancels that kill the whole
//! process tree, run-as a local user, and no command lost or run twice across
//! agent kills, server restarts and offline periods.

use crate::binaries::*;
use gururmm_store::testing::TestDatabase;
use gururmm_testing::{eventually, process_running, running_as_root, ChildGuard, LocalUser};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

const FINAL: [&str; 6] = [
    "completed",
    "failed",
    "timeout",
    "cancelled",
    "interrupted",
    "expired",
];

struct Rig {
    _data: tempfile::TempDir,
    work: tempfile::TempDir,
    setup: ServerSetup,
    server: Option<ChildGuard>,
    agent: Option<ChildGuard>,
    api: Api,
    agent_id: String,
    state_dir: std::path::PathBuf,
}

const DEVICE: &str = "remote-exec-device";

impl Rig {
    async fn start(database: &TestDatabase) -> Rig {
        let data = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let setup = ServerSetup::new(
            data.path(),
            &database.url,
            &[("GURURMM_COMMAND_OUTPUT_LIMIT_BYTES", "4096")],
        );
        let server = setup.start().await;
        let api = setup.api().await;
        let key = api.enrollment_key().await;
        let state_dir = data.path().join("agent-state");
        let agent = start_agent(&setup.base, &state_dir, DEVICE, Some(&key));
        let agent_id = eventually(Duration::from_secs(60), "the agent is online", || async {
            let list = api.get("/api/v1/agents?status=online").await;
            list["items"]
                .get(0)
                .map(|a| a["id"].as_str().unwrap().to_string())
        })
        .await;
        Rig {
            _data: data,
            work,
            setup,
            server: Some(server),
            agent: Some(agent),
            api,
            agent_id,
            state_dir,
        }
    }

    fn path(&self, name: &str) -> String {
        self.work.path().join(name).display().to_string()
    }

    async fn run(&self, body: Value) -> String {
        let command = self
            .api
            .post(&format!("/api/v1/agents/{}/commands", self.agent_id), body)
            .await;
        command["id"].as_str().unwrap().to_string()
    }

    async fn status(&self, id: &str) -> Value {
        self.api.get(&format!("/api/v1/commands/{id}")).await
    }

    async fn finished(&self, id: &str) -> Value {
        eventually(
            Duration::from_secs(90),
            &format!("command {id} ends"),
            || async {
                let command = self.status(id).await;
                FINAL
                    .contains(&command["status"].as_str().unwrap())
                    .then_some(command)
            },
        )
        .await
    }

    async fn wait_status(&self, id: &str, status: &str) -> Value {
        eventually(
            Duration::from_secs(60),
            &format!("command {id} is {status}"),
            || async {
                let command = self.status(id).await;
                (command["status"] == status).then_some(command)
            },
        )
        .await
    }

    async fn wait_online(&self, online: bool) {
        let wanted = if online { "online" } else { "offline" };
        eventually(
            Duration::from_secs(60),
            &format!("the agent is {wanted}"),
            || async {
                (self
                    .api
                    .get(&format!("/api/v1/agents/{}", self.agent_id))
                    .await["status"]
                    == wanted)
                    .then_some(())
            },
        )
        .await;
    }

    fn restart_agent(&mut self) {
        self.agent = None;
        self.agent = Some(start_agent(&self.setup.base, &self.state_dir, DEVICE, None));
    }
}

fn lines(path: &str) -> usize {
    std::fs::read_to_string(path)
        .map(|text| text.lines().count())
        .unwrap_or(0)
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

#[tokio::test]
async fn command_types_exit_codes_output_limits_and_hostile_arguments() {
    for database in TestDatabase::all().await {
        let rig = Rig::start(&database).await;

        let id = rig
            .run(json!({"command_type": "shell", "command": "echo out; echo err 1>&2; exit 3"}))
            .await;
        let done = rig.finished(&id).await;
        assert_eq!(
            (done["status"].as_str(), done["exit_code"].as_i64()),
            (Some("failed"), Some(3)),
            "{done}"
        );
        assert_eq!(
            (done["stdout"].as_str(), done["stderr"].as_str()),
            (Some("out\n"), Some("err\n"))
        );

        let id = rig
            .run(json!({"command_type": "python", "command": "import os, sys; print(sys.argv[1:], os.environ['GREETING'], os.getcwd())",
                "args": ["one", "two"], "env": {"GREETING": "hello"}, "working_dir": rig.work.path()}))
            .await;
        let done = rig.finished(&id).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(
            done["stdout"].as_str().unwrap().trim(),
            format!("['one', 'two'] hello {}", rig.work.path().display())
        );

        // Hostile values reach the script byte for byte, as argv and environment.
        let hostile = [
            "it's \"quoted\"",
            "; rm -rf / ;",
            "$(touch pwned) `id`",
            "line one\nline two",
            "  spaced  ",
            "-n",
            "*",
        ];
        let out = rig.path("argv.txt");
        let id = rig
            .run(json!({"command_type": "script", "interpreter": "bash",
                "command": "printf '%s\\0' \"$@\" > \"$OUT\"; printf '%s' \"$HOSTILE\" >> \"$OUT\"",
                "args": hostile, "env": {"OUT": out, "HOSTILE": hostile[2]}, "working_dir": rig.work.path()}))
            .await;
        assert_eq!(rig.finished(&id).await["status"], "completed");
        let mut expected = hostile.join("\0");
        expected.push('\0');
        expected.push_str(hostile[2]);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), expected);
        assert!(
            !rig.work.path().join("pwned").exists(),
            "nothing was interpreted"
        );

        // Output beyond the configured limit (4096 bytes here) is cut and flagged.
        let id = rig.run(json!({"command_type": "shell", "command": "head -c 100000 /dev/zero | tr '\\0' a; echo done 1>&2"})).await;
        let done = rig.finished(&id).await;
        assert_eq!(done["status"], "completed");
        assert_eq!(done["stdout"].as_str().unwrap().len(), 4096);
        assert_eq!(
            (
                done["stdout_truncated"].as_bool(),
                done["stderr_truncated"].as_bool()
            ),
            (Some(true), Some(false))
        );
        assert_eq!(done["stderr"], "done\n");

        // A program that cannot start fails with a reason.
        let id = rig.run(json!({"command_type": "script", "interpreter": "no-such-interpreter-xyz", "command": "x"})).await;
        let done = rig.finished(&id).await;
        assert_eq!(done["status"], "failed");
        assert!(
            done["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{done}"
        );

        if !on_path("pwsh") && !on_path("powershell") {
            let id = rig
                .run(json!({"command_type": "powershell", "command": "Get-Date"}))
                .await;
            let done = rig.finished(&id).await;
            assert_eq!(done["status"], "failed");
            assert!(
                done["error"].as_str().unwrap().contains("not installed"),
                "{done}"
            );
        }
        let id = rig.run(json!({"command_type": "shell", "command": "true", "run_as": {"context": "user_session"}})).await;
        let done = rig.finished(&id).await;
        assert_eq!(done["status"], "failed");
        assert!(
            done["error"].as_str().unwrap().contains("not supported"),
            "{done}"
        );
    }
}

#[tokio::test]
async fn timeout_and_cancel_kill_the_whole_process_tree() {
    let database = TestDatabase::sqlite().await;
    let rig = Rig::start(&database).await;
    let pid_file = rig.path("timeout.pid");
    let id = rig
        .run(json!({"command_type": "shell", "timeout_seconds": 2,
            "command": format!("sleep 300 & echo $! > {pid_file}; wait")}))
        .await;
    let done = rig.finished(&id).await;
    assert_eq!(done["status"], "timeout", "{done}");
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    eventually(
        Duration::from_secs(10),
        "the backgrounded grandchild is gone after the timeout",
        || async { !process_running(pid) },
    )
    .await;

    let pid_file = rig.path("cancel.pid");
    let id = rig
        .run(json!({"command_type": "shell", "timeout_seconds": 300,
            "command": format!("sleep 300 & echo $! > {pid_file}; wait")}))
        .await;
    rig.wait_status(&id, "running").await;
    let pid = eventually(
        Duration::from_secs(30),
        "the grandchild started",
        || async {
            std::fs::read_to_string(&pid_file)
                .ok()
                .and_then(|p| p.trim().parse::<u32>().ok())
        },
    )
    .await;
    assert!(process_running(pid));
    rig.api
        .post(&format!("/api/v1/commands/{id}/cancel"), json!({}))
        .await;
    let done = rig.finished(&id).await;
    assert_eq!(done["status"], "cancelled", "{done}");
    eventually(
        Duration::from_secs(10),
        "the backgrounded grandchild is gone after the cancel",
        || async { !process_running(pid) },
    )
    .await;
}

#[tokio::test]
async fn no_command_is_lost_or_run_twice_across_kills_restarts_and_offline_periods() {
    for database in TestDatabase::all().await {
        let mut rig = Rig::start(&database).await;

        // Sent while the agent is offline: runs once when it reconnects.
        rig.agent = None;
        rig.wait_online(false).await;
        let offline_counter = rig.path("offline.count");
        let offline = rig.run(json!({"command_type": "shell", "command": format!("echo ran >> {offline_counter}")})).await;
        assert_eq!(rig.status(&offline).await["status"], "queued");
        rig.restart_agent();
        assert_eq!(rig.finished(&offline).await["status"], "completed");
        assert_eq!(lines(&offline_counter), 1);

        // The agent is killed while a command runs: it reports it interrupted after it comes back.
        let killed_marker = rig.path("killed.started");
        let killed = rig
            .run(json!({"command_type": "shell", "command": format!("touch {killed_marker}; sleep 20")}))
            .await;
        rig.wait_status(&killed, "running").await;
        eventually(
            Duration::from_secs(30),
            "the long command started",
            || async { Path::new(&killed_marker).exists().then_some(()) },
        )
        .await;
        rig.restart_agent();
        let done = rig.finished(&killed).await;
        assert_eq!(done["status"], "interrupted", "{done}");

        // The command finishes while the server is down: its result arrives when the server is back.
        let server_counter = rig.path("server-down.count");
        let go = rig.path("server-down.go");
        let finishing = rig
            .run(json!({"command_type": "shell",
                "command": format!("while [ ! -e {go} ]; do sleep 0.1; done; echo finished; echo ran >> {server_counter}")}))
            .await;
        rig.wait_status(&finishing, "running").await;
        rig.server = None;
        std::fs::write(&go, "").unwrap();
        eventually(
            Duration::from_secs(30),
            "the command finished with the server down",
            || async { (lines(&server_counter) == 1).then_some(()) },
        )
        .await;
        rig.server = Some(rig.setup.start().await);
        rig.api = rig.setup.api().await;
        let done = rig.finished(&finishing).await;
        assert_eq!(
            (done["status"].as_str(), done["stdout"].as_str()),
            (Some("completed"), Some("finished\n")),
            "{done}"
        );

        // After all of that, nothing ran twice.
        rig.wait_online(true).await;
        let probe = rig
            .run(json!({"command_type": "shell", "command": "true"}))
            .await;
        assert_eq!(rig.finished(&probe).await["status"], "completed");
        assert_eq!(lines(&offline_counter), 1, "the offline command ran once");
        assert_eq!(
            lines(&server_counter),
            1,
            "the command that finished while the server was down ran once"
        );
        let history = rig
            .api
            .get(&format!(
                "/api/v1/agents/{}/commands?per_page=50",
                rig.agent_id
            ))
            .await;
        let statuses: Vec<&str> = history["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["status"].as_str().unwrap())
            .collect();
        assert!(
            statuses.iter().all(|s| FINAL.contains(s)),
            "every command ended: {statuses:?}"
        );
    }
}

#[tokio::test]
async fn commands_run_as_a_named_local_user() {
    if !running_as_root() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI runs as root: the run-as test may not be skipped"
        );
        #[allow(clippy::print_stderr)] // tells a developer what did not run
        {
            eprintln!("not root: skipping run-as");
        }
        return;
    }
    let name = format!("grmm{}", std::process::id() % 100_000);
    let _user = LocalUser::create(&name, true);
    let uid = String::from_utf8(
        std::process::Command::new("id")
            .args(["-u", &name])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();

    let database = TestDatabase::sqlite().await;
    let rig = Rig::start(&database).await;
    let id = rig
        .run(json!({"command_type": "shell", "command": "id -u; echo $HOME; whoami", "run_as": {"context": "user", "username": name}}))
        .await;
    let done = rig.finished(&id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        done["stdout"].as_str().unwrap(),
        format!("{}/home/{name}\n{name}\n", uid)
    );

    let id = rig.run(json!({"command_type": "shell", "command": "id", "run_as": {"context": "user", "username": "no-such-user-x"}})).await;
    let done = rig.finished(&id).await;
    assert_eq!(done["status"], "failed");
    assert!(
        done["error"]
            .as_str()
            .unwrap()
            .contains("no such local user"),
        "{done}"
    );
}

#[tokio::test]
async fn a_bulk_job_runs_on_several_real_agents_and_waits_for_the_offline_one() {
    let database = TestDatabase::sqlite().await;
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let setup = ServerSetup::new(data.path(), &database.url, &[]);
    let _server = setup.start().await;
    let api = setup.api().await;
    let key = api.enrollment_key().await;
    let state = |name: &str| data.path().join(name);
    let mut agents: Vec<Option<ChildGuard>> = (0..3)
        .map(|i| {
            Some(start_agent(
                &setup.base,
                &state(&format!("agent-{i}")),
                &format!("bulk-{i}"),
                Some(&key),
            ))
        })
        .collect();
    eventually(Duration::from_secs(60), "three agents online", || async {
        (api.get("/api/v1/agents?status=online").await["total"] == 3).then_some(())
    })
    .await;
    // The third goes offline before the job starts.
    agents[2] = None;
    eventually(Duration::from_secs(60), "one agent offline", || async {
        (api.get("/api/v1/agents?status=offline").await["total"] == 1).then_some(())
    })
    .await;

    let script = api
        .post(
            "/api/v1/scripts",
            json!({"name": "Record arguments", "command_type": "script", "interpreter": "bash",
                "body": "printf '%s\\0' \"$@\" > \"$OUT_DIR/$(hostname)-$DEVICE_HINT\"; printf '%s' \"$Note\" > \"$OUT_DIR/env-$RANDOM$RANDOM\"",
                "parameters": [{"name": "Note", "type": "string", "required": true}, {"name": "Count", "type": "number", "default": "3"}],
                "default_env": {"OUT_DIR": work.path().display().to_string(), "DEVICE_HINT": "x"}}),
        )
        .await;
    let site_id = api.get("/api/v1/agents").await["items"][0]["site_id"]
        .as_str()
        .unwrap()
        .to_string();
    let hostile = "it's \"quoted\"; rm -rf / #$(id) `id`\nsecond line\t*";
    let job = api
        .post(
            &format!("/api/v1/scripts/{}/run", script["id"].as_str().unwrap()),
            json!({"targets": {"site_id": site_id}, "parameters": {"Note": hostile}}),
        )
        .await;
    let job_id = job["id"].as_str().unwrap().to_string();
    let detail = eventually(
        Duration::from_secs(60),
        "the online agents finish",
        || async {
            let detail = api.get(&format!("/api/v1/jobs/{job_id}")).await;
            (detail["counts"]["completed"] == 2).then_some(detail)
        },
    )
    .await;
    assert_eq!(
        (
            detail["counts"]["queued"].as_i64(),
            detail["status"].as_str()
        ),
        (Some(1), Some("running")),
        "{detail}"
    );

    agents[2] = Some(start_agent(&setup.base, &state("agent-2"), "bulk-2", None));
    let detail = eventually(
        Duration::from_secs(60),
        "the job is done once the offline agent is back",
        || async {
            let detail = api.get(&format!("/api/v1/jobs/{job_id}")).await;
            (detail["status"] == "done").then_some(detail)
        },
    )
    .await;
    assert_eq!(detail["counts"]["completed"], 3, "{detail}");

    // Every agent got the hostile value byte for byte, as argv and as environment.
    let mut argv_files = 0;
    let mut env_files = 0;
    for entry in std::fs::read_dir(work.path()).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("env-")
        {
            assert_eq!(text, hostile);
            env_files += 1;
        } else {
            assert_eq!(text, format!("{hostile}\u{0}3\u{0}"));
            argv_files += 1;
        }
    }
    assert_eq!(
        (env_files, argv_files.min(1)),
        (3, 1),
        "three runs (same hostname here), each recorded"
    );
    let run_ids: Vec<String> = detail["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["command_id"].as_str().unwrap().to_string())
        .collect();
    for id in run_ids {
        let command = api.get(&format!("/api/v1/commands/{id}")).await;
        assert_eq!(command["created_by_email"], ADMIN);
        assert_eq!(command["status"], "completed");
    }
}

#[tokio::test]
async fn a_vault_entry_reaches_the_real_agents_process_and_its_stored_output_masks_it() {
    for database in TestDatabase::all().await {
        let rig = Rig::start(&database).await;
        let secret = "Vlt-e2e-S3cret!";
        let agent = rig
            .api
            .get(&format!("/api/v1/agents/{}", rig.agent_id))
            .await;
        let entry = rig
            .api
            .post(
                &format!(
                    "/api/v1/clients/{}/vault",
                    agent["client_id"].as_str().unwrap()
                ),
                json!({"name": "Domain admin", "kind": "password", "secret": secret}),
            )
            .await;
        // The process writes what it got to a file (the truth), and echoes it (the stored output).
        let out = rig.path("vault.txt");
        let script = rig
            .api
            .post(
                "/api/v1/scripts",
                json!({"name": "Vault", "command_type": "shell",
                    "body": "printf '%s' \"$DB_PASSWORD\" > \"$1\"; echo \"got $DB_PASSWORD, args: $#\"",
                    "parameters": [{"name": "DB_PASSWORD", "type": "secret", "required": true},
                                   {"name": "Out", "type": "string", "required": true}]}),
            )
            .await;
        let job = rig
            .api
            .post(
                &format!("/api/v1/scripts/{}/run", script["id"].as_str().unwrap()),
                json!({"targets": {"agent_ids": [rig.agent_id]},
                    "parameters": {"DB_PASSWORD": {"vault_entry_id": entry["id"]}, "Out": out}}),
            )
            .await;
        let detail = rig
            .api
            .get(&format!("/api/v1/jobs/{}", job["id"].as_str().unwrap()))
            .await;
        let done = rig
            .finished(detail["agents"][0]["command_id"].as_str().unwrap())
            .await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), secret);
        assert_eq!(done["stdout"], "got ********, args: 1\n");
        assert_eq!(
            done["vault_env"]["DB_PASSWORD"]["entry_name"],
            "Domain admin"
        );
        assert!(!done.to_string().contains(secret), "{done}");
    }
}
