//! Remote execution's commands: dispatch order, the running and final
//! statuses, cancelling, expiry and lost agents, and the history that outlives
//! a deleted agent.

use crate::{facts, on_every_backend};
use chrono::{Duration, Utc};
use gururmm_protocol::{AgentId, CommandType, RunAs};
use gururmm_store::*;
use std::sync::Arc;

async fn command_story(store: Arc<dyn Store>) {
    let backend = store.backend();
    let org = store.create_organization("Cmd MSP").await.unwrap();
    let other = store.create_organization("Other").await.unwrap();
    let user = super::technician(store.as_ref(), org.id, &format!("t@{backend}.cmd")).await;
    let client = store.create_client(org.id, "C").await.unwrap();
    let site = store.create_site(org.id, client.id, "S").await.unwrap();
    let agent = store
        .enroll_agent(NewAgent {
            organization_id: org.id,
            client_id: client.id,
            site_id: site.id,
            device_id: "cmd-dev".into(),
            secret_hash: "s".into(),
            facts: facts("cmd-host"),
            enrolled_at: Utc::now(),
        })
        .await
        .unwrap();
    let now = Utc::now();
    let created = std::sync::atomic::AtomicI64::new(0);
    let new = |command: &str, expires_in: Duration| NewCommand {
        organization_id: org.id,
        agent_id: agent,
        created_by: user.id,
        created_by_email: user.email.clone(),
        command_type: CommandType::Shell,
        command: command.into(),
        interpreter: None,
        args: Vec::new(),
        env: Default::default(),
        working_dir: None,
        run_as: RunAs::System,
        timeout_seconds: 60,
        output_limit_bytes: 1024,
        // Creation order is the dispatch order; give each command its own millisecond.
        created_at: now
            + Duration::milliseconds(created.fetch_add(1, std::sync::atomic::Ordering::SeqCst)),
        expires_at: now + expires_in,
        script: None,
        vault_env: Default::default(),
    };
    let first = store
        .create_command(new("echo one", Duration::hours(1)))
        .await
        .unwrap();
    assert_eq!(first.status, CommandStatus::Queued);
    assert_eq!(first.created_by, Some(user.id));
    // A variable from the vault is kept as a reference (entry and name), never a value.
    let reference = gururmm_store::VaultReference {
        vault_entry_id: gururmm_protocol::VaultEntryId::new(),
        entry_name: "Domain admin".into(),
    };
    let second = store
        .create_command(NewCommand {
            vault_env: [("ADMIN_PASSWORD".to_string(), reference.clone())].into(),
            ..new("echo two", Duration::hours(1))
        })
        .await
        .unwrap();
    assert_eq!(
        second.vault_env,
        [("ADMIN_PASSWORD".to_string(), reference.clone())].into(),
        "{backend}"
    );
    assert!(first.vault_env.is_empty(), "{backend}");
    let stale_queue = store
        .create_command(new("echo never", Duration::seconds(-1)))
        .await
        .unwrap();
    assert!(
        matches!(
            store.get_command(other.id, first.id).await,
            Err(StoreError::NotFound)
        ),
        "{backend}: other orgs see 404"
    );
    let mut foreign = new("echo foreign", Duration::hours(1));
    foreign.organization_id = other.id;
    assert!(
        matches!(
            store.create_command(foreign).await,
            Err(StoreError::NotFound)
        ),
        "{backend}: no command for another organization's agent"
    );

    let dispatch = store.dispatchable_commands(agent, now, 10).await.unwrap();
    assert_eq!(
        dispatch.iter().map(|c| c.id).collect::<Vec<_>>(),
        [first.id, second.id],
        "{backend}: oldest first, expired excluded"
    );
    assert_eq!(
        dispatch[1].vault_env["ADMIN_PASSWORD"], reference,
        "{backend}: dispatch sees the reference"
    );
    let running = store
        .mark_command_started(agent, first.id, now)
        .await
        .unwrap()
        .expect("started");
    assert_eq!(
        (running.id, running.status, running.started_at.is_some()),
        (first.id, CommandStatus::Running, true)
    );
    assert!(
        store
            .mark_command_started(AgentId::new(), second.id, now)
            .await
            .unwrap()
            .is_none(),
        "{backend}: another agent cannot touch it"
    );
    let finish = CommandFinish {
        status: CommandStatus::Completed,
        exit_code: Some(0),
        error: None,
        stdout: "one\n".into(),
        stderr: String::new(),
        stdout_truncated: false,
        stderr_truncated: false,
        started_at: Some(now),
        finished_at: now,
    };
    let done = store
        .finish_command(agent, first.id, finish.clone())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (done.status, done.stdout.as_str(), done.exit_code),
        (CommandStatus::Completed, "one\n", Some(0))
    );
    assert!(
        store
            .finish_command(agent, first.id, finish)
            .await
            .unwrap()
            .is_none(),
        "{backend}: a result is stored once"
    );

    let page = store
        .list_commands(org.id, agent, None, &ListQuery::default())
        .await
        .unwrap();
    assert_eq!(page.total, 3);
    assert!(
        page.items.iter().all(|c| c.stdout.is_empty()),
        "lists carry no output"
    );
    let completed = store
        .list_commands(
            org.id,
            agent,
            Some(CommandStatus::Completed),
            &ListQuery::default(),
        )
        .await
        .unwrap();
    assert_eq!(completed.total, 1);
    let searched = store
        .list_commands(
            org.id,
            agent,
            None,
            &ListQuery {
                search: Some("TWO".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(searched.items[0].id, second.id);
    assert_eq!(
        store
            .list_commands(other.id, agent, None, &ListQuery::default())
            .await
            .unwrap()
            .total,
        0
    );

    // Cancelling: queued ends at once; running is flagged; ended is a conflict.
    let third = store
        .create_command(new("sleep 100", Duration::hours(1)))
        .await
        .unwrap();
    store
        .mark_command_started(agent, third.id, now)
        .await
        .unwrap();
    let flagged = store
        .request_command_cancel(org.id, third.id, now)
        .await
        .unwrap();
    assert_eq!(
        (flagged.status, flagged.cancel_requested),
        (CommandStatus::Running, true)
    );
    let cancelled = store
        .request_command_cancel(org.id, second.id, now)
        .await
        .unwrap();
    assert_eq!(cancelled.status, CommandStatus::Cancelled);
    assert!(matches!(
        store.request_command_cancel(org.id, first.id, now).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.request_command_cancel(other.id, third.id, now).await,
        Err(StoreError::NotFound)
    ));

    // Expiry, stale running commands, and lost agent state all end in a final status.
    let expired = store.expire_commands(now).await.unwrap();
    assert_eq!(
        expired.iter().map(|c| c.id).collect::<Vec<_>>(),
        [stale_queue.id]
    );
    assert_eq!(
        store
            .get_command(org.id, stale_queue.id)
            .await
            .unwrap()
            .status,
        CommandStatus::Expired
    );
    assert!(
        store
            .interrupt_stale_commands(now, 60)
            .await
            .unwrap()
            .is_empty(),
        "{backend}: within timeout + grace"
    );
    let stale = store
        .interrupt_stale_commands(now + Duration::seconds(121), 60)
        .await
        .unwrap();
    assert_eq!(stale.iter().map(|c| c.id).collect::<Vec<_>>(), [third.id]);
    let fourth = store
        .create_command(new("sleep 1", Duration::hours(1)))
        .await
        .unwrap();
    store
        .mark_command_started(agent, fourth.id, now)
        .await
        .unwrap();
    let lost = store
        .interrupt_agent_commands(agent, "state lost", now)
        .await
        .unwrap();
    assert_eq!(lost.len(), 1);
    let fourth = store.get_command(org.id, fourth.id).await.unwrap();
    assert_eq!(
        (fourth.status, fourth.error.as_deref()),
        (CommandStatus::Interrupted, Some("state lost"))
    );
    assert!(store
        .dispatchable_commands(agent, now, 10)
        .await
        .unwrap()
        .is_empty());

    // Deleting the agent keeps its history and interrupts what it still had to run.
    let waiting = store
        .create_command(new("echo never", Duration::hours(1)))
        .await
        .unwrap();
    let before = store
        .list_commands(org.id, agent, None, &ListQuery::default())
        .await
        .unwrap()
        .total;
    let ended = store
        .delete_agent(org.id, agent, "admin@example.com", now)
        .await
        .unwrap();
    assert_eq!(ended.iter().map(|c| c.id).collect::<Vec<_>>(), [waiting.id]);
    assert_eq!(
        store.get_command(org.id, waiting.id).await.unwrap().status,
        CommandStatus::Interrupted
    );
    assert_eq!(
        store
            .list_commands(org.id, agent, None, &ListQuery::default())
            .await
            .unwrap()
            .total,
        before,
        "the history outlives the agent"
    );
    assert_eq!(
        store
            .get_deleted_agent(org.id, agent)
            .await
            .unwrap()
            .command_count,
        before
    );
    assert!(matches!(
        store
            .create_command(new("echo late", Duration::hours(1)))
            .await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn commands_hold_on_every_backend() {
    on_every_backend(command_story).await;
}
