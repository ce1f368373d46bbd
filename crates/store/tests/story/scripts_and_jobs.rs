//! Scripts and jobs: versions that are never rewritten, names unique per
//! organization, a job's commands counted by status, and deleting a script
//! keeping the jobs and commands that ran it.

use crate::{facts, on_every_backend};
use chrono::{Duration, Utc};
use gururmm_protocol::{CommandType, RunAs};
use gururmm_store::*;
use std::sync::Arc;

async fn script_and_job_story(store: Arc<dyn Store>) {
    let backend = store.backend();
    let org = store.create_organization("Script MSP").await.unwrap();
    let other = store.create_organization("Other").await.unwrap();
    let user = store
        .create_user(NewUser {
            organization_id: org.id,
            email: format!("s@{backend}.scripts"),
            password_hash: "h".into(),
            role: Role::Admin,
            custom_role: None,
            clients: None,
        })
        .await
        .unwrap();
    let code = |body: &str| ScriptVersion {
        version: 0,
        command_type: CommandType::Script,
        interpreter: Some("bash".into()),
        body: body.into(),
        parameters: vec![ScriptParameter {
            name: "Target".into(),
            kind: ParameterType::String,
            default: None,
            required: true,
            description: None,
            custom_field: None,
        }],
        default_env: Default::default(),
        default_timeout_seconds: 120,
        run_as: RunAs::System,
        created_at: Utc::now(),
        created_by_email: user.email.clone(),
    };
    let fields = |name: &str, category: &str| ScriptFields {
        name: name.into(),
        description: format!("{name} does things"),
        category: category.into(),
    };
    let cleanup = store
        .create_script(
            org.id,
            fields("Clean temp", "Maintenance"),
            code("rm -rf /tmp/x"),
        )
        .await
        .unwrap();
    assert_eq!(cleanup.current.version, 1);
    store
        .create_script(org.id, fields("Audit users", "Security"), code("who"))
        .await
        .unwrap();
    assert!(
        matches!(
            store
                .create_script(org.id, fields("Clean temp", "X"), code("y"))
                .await,
            Err(StoreError::Conflict(_))
        ),
        "{backend}"
    );
    store
        .create_script(other.id, fields("Clean temp", "X"), code("y"))
        .await
        .unwrap();

    let all = store
        .list_scripts(org.id, &ScriptFilter::default(), &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(
        all.items
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["Clean temp", "Audit users"],
        "{backend}: by category then name"
    );
    let security = store
        .list_scripts(
            org.id,
            &ScriptFilter {
                category: Some("Security".into()),
            },
            &ListQuery::default(),
        )
        .await
        .unwrap();
    assert_eq!(security.total, 1);
    let searched = store
        .list_scripts(
            org.id,
            &ScriptFilter::default(),
            &ListQuery {
                search: Some("DOES".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(searched.total, 2, "{backend}: search covers descriptions");

    let renamed = store
        .update_script(
            org.id,
            cleanup.id,
            fields("Clean temp files", "Maintenance"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.current.version),
        ("Clean temp files", 1),
        "a rename keeps the version"
    );
    let edited = store
        .update_script(
            org.id,
            cleanup.id,
            fields("Clean temp files", "Maintenance"),
            Some(code("rm -rf /tmp/y")),
        )
        .await
        .unwrap();
    assert_eq!(
        (edited.current.version, edited.current.body.as_str()),
        (2, "rm -rf /tmp/y")
    );
    let versions = store
        .list_script_versions(org.id, cleanup.id)
        .await
        .unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.version, v.body.as_str()))
            .collect::<Vec<_>>(),
        [(2, "rm -rf /tmp/y"), (1, "rm -rf /tmp/x")]
    );
    assert_eq!(
        store
            .get_script_version(org.id, cleanup.id, 1)
            .await
            .unwrap()
            .body,
        "rm -rf /tmp/x",
        "{backend}: an old version stays readable"
    );
    for (organization, version) in [(org.id, 3), (org.id, 0), (other.id, 1)] {
        assert!(matches!(
            store
                .get_script_version(organization, cleanup.id, version)
                .await,
            Err(StoreError::NotFound)
        ));
    }
    let strangers = store
        .list_scripts(other.id, &ScriptFilter::default(), &ListQuery::default())
        .await
        .unwrap();
    let names = store
        .script_names(
            org.id,
            &[cleanup.id, strangers.items[0].id, ScriptId::new()],
        )
        .await
        .unwrap();
    assert_eq!(
        names,
        [(cleanup.id, "Clean temp files".to_string())],
        "{backend}: only the organization's scripts have names"
    );
    assert!(matches!(
        store.get_script(other.id, cleanup.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .update_script(other.id, cleanup.id, fields("x", "y"), None)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.list_script_versions(other.id, cleanup.id).await,
        Err(StoreError::NotFound)
    ));

    // A job: one command per agent, counted by status.
    let client = store.create_client(org.id, "C").await.unwrap();
    let site = store.create_site(org.id, client.id, "S").await.unwrap();
    let mut agents = Vec::new();
    for i in 0..3 {
        let enrolled = store
            .enroll_agent(NewAgent {
                organization_id: org.id,
                client_id: client.id,
                site_id: site.id,
                device_id: format!("job-dev-{i}"),
                secret_hash: "s".into(),
                facts: facts(&format!("host-{i}")),
                enrolled_at: Utc::now(),
            })
            .await
            .unwrap();
        agents.push(enrolled);
    }
    let ids = store
        .agent_ids(
            org.id,
            &AgentFilter {
                site_id: Some(site.id),
                ..Default::default()
            },
            100,
        )
        .await
        .unwrap();
    assert_eq!(ids, agents, "{backend}: by hostname");
    assert!(store
        .agent_ids(
            other.id,
            &AgentFilter {
                site_id: Some(site.id),
                ..Default::default()
            },
            100
        )
        .await
        .unwrap()
        .is_empty());
    let now = Utc::now();
    let commands: Vec<NewCommand> = agents
        .iter()
        .map(|agent| NewCommand {
            organization_id: org.id,
            agent_id: *agent,
            created_by: user.id,
            created_by_email: user.email.clone(),
            command_type: CommandType::Script,
            command: edited.current.body.clone(),
            interpreter: Some("bash".into()),
            args: vec!["a".into()],
            env: Default::default(),
            working_dir: None,
            run_as: RunAs::System,
            timeout_seconds: 120,
            output_limit_bytes: 1024,
            created_at: now,
            expires_at: now + Duration::hours(1),
            script: Some((cleanup.id, 2)),
            vault_env: Default::default(),
        })
        .collect();
    let job = store
        .create_job(
            NewJob {
                organization_id: org.id,
                name: "Clean temp files v2".into(),
                script: Some((cleanup.id, 2)),
                target: "site S (C)".into(),
                parameters: [("Target".to_string(), serde_json::json!("a"))].into(),
                created_by: user.id,
                created_by_email: user.email.clone(),
                created_at: now,
            },
            commands,
        )
        .await
        .unwrap();
    assert_eq!(
        job.counts,
        JobCounts {
            total: 3,
            queued: 3,
            running: 0,
            completed: 0,
            failed: 0
        }
    );
    let job_commands = store.list_job_commands(org.id, job.id).await.unwrap();
    assert_eq!(
        job_commands
            .iter()
            .map(|c| c.hostname.as_str())
            .collect::<Vec<_>>(),
        ["host-0", "host-1", "host-2"]
    );
    assert_eq!(job_commands[0].command.job_id, Some(job.id));
    assert_eq!(job_commands[0].command.script, Some((cleanup.id, 2)));
    let first = job_commands[0].command.id;
    store
        .mark_command_started(agents[0], first, now)
        .await
        .unwrap();
    store
        .mark_command_started(agents[1], job_commands[1].command.id, now)
        .await
        .unwrap();
    let finish = |status| CommandFinish {
        status,
        exit_code: Some(0),
        error: None,
        stdout: String::new(),
        stderr: String::new(),
        stdout_truncated: false,
        stderr_truncated: false,
        started_at: Some(now),
        finished_at: now,
    };
    store
        .finish_command(
            agents[0],
            first,
            CommandFinish {
                stdout: "héllo wörld".into(),
                stderr: "warn".into(),
                ..finish(CommandStatus::Completed)
            },
        )
        .await
        .unwrap();
    store
        .finish_command(
            agents[2],
            job_commands[2].command.id,
            finish(CommandStatus::Timeout),
        )
        .await
        .unwrap();
    let job = store.get_job(org.id, job.id).await.unwrap();
    assert_eq!(
        job.counts,
        JobCounts {
            total: 3,
            queued: 0,
            running: 1,
            completed: 1,
            failed: 1
        },
        "{backend}"
    );
    // The export reads the output, cut by characters, a page at a time.
    let results = store.job_results(org.id, job.id, 5, 10, 0).await.unwrap();
    assert_eq!(
        results
            .iter()
            .map(|r| (
                r.hostname.as_str(),
                r.command.stdout.as_str(),
                r.command.stdout_truncated,
                r.command.stderr.as_str(),
                r.command.stderr_truncated
            ))
            .collect::<Vec<_>>(),
        [
            ("host-0", "héllo", true, "warn", false),
            ("host-1", "", false, "", false),
            ("host-2", "", false, "", false)
        ],
        "{backend}"
    );
    let rest = store.job_results(org.id, job.id, 5, 2, 2).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].hostname, "host-2");
    assert!(store
        .job_results(other.id, job.id, 5, 10, 0)
        .await
        .unwrap()
        .is_empty());
    let jobs = store
        .list_jobs(org.id, None, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!((jobs.total, jobs.items[0].counts.completed), (1, 1));
    assert!(matches!(
        store.get_job(other.id, job.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.list_job_commands(other.id, job.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store
            .list_jobs(other.id, None, &ListQuery::default())
            .await
            .unwrap()
            .total,
        0
    );

    // Deleting a script keeps the jobs and commands that ran it (the audit trail).
    store.delete_script(org.id, cleanup.id).await.unwrap();
    assert!(matches!(
        store.get_script(org.id, cleanup.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.get_job(org.id, job.id).await.unwrap().script,
        Some((cleanup.id, 2))
    );
    assert!(matches!(
        store.delete_script(org.id, cleanup.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(store
        .script_names(org.id, &[cleanup.id])
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn scripts_and_jobs_hold_on_every_backend() {
    on_every_backend(script_and_job_story).await;
}
