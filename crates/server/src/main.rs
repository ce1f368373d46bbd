//! `gururmm-server`: start the server, print the example configuration or the
//! OpenAPI document, and manage users from the command line.
// A command-line program: it talks to its user on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use gururmm_server::auth::secrets::{hash_password, random_password};
use gururmm_server::config::{CliOverrides, Config, LogFormat, EXAMPLE_CONFIG};
use gururmm_server::services::bootstrap::{validate_email, validate_password};
use gururmm_store::{NewUser, Role};
use std::io::Read;

#[derive(Parser)]
#[command(
    name = "gururmm-server",
    version,
    about = "GuruRMM server: API, agent gateway and dashboard"
)]
struct Cli {
    #[command(flatten)]
    overrides: CliOverrides,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print the OpenAPI document of the REST API.
    Openapi,
    /// Manage dashboard users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage organizations (the MSPs this server hosts).
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The credential vault.
    Vault {
        #[command(subcommand)]
        command: VaultCommand,
    },
}

#[derive(Subcommand)]
enum VaultCommand {
    /// Make a new master key (in vault.keys in the data directory), re-wrap
    /// every organization's data key with it and drop the old one. Entries
    /// are not re-encrypted. A running server picks the new key up by itself.
    RotateKey,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every organization's audit chain (exit status 1 when one is broken).
    Verify,
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an organization and its first user, its owner.
    Add {
        #[arg(long)]
        name: String,
        /// Email of the organization's owner.
        #[arg(long)]
        admin_email: String,
        /// Read the owner's password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the organizations.
    List,
    /// Suspend an organization: its users' sessions end and they can neither
    /// sign in nor use the API until it is resumed (its agents stay).
    Suspend {
        #[arg(long)]
        name: String,
        /// Why (kept in its audit log).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Resume a suspended organization.
    Resume {
        #[arg(long)]
        name: String,
    },
}

/// The organization named `name` (without regard to case).
async fn organization_named(
    store: &dyn gururmm_store::Store,
    name: &str,
) -> anyhow::Result<gururmm_store::Organization> {
    store
        .list_organizations()
        .await?
        .into_iter()
        .find(|org| org.name.to_lowercase() == name.trim().to_lowercase())
        .with_context(|| format!("no organization is named {name:?} (see `org list`)"))
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print a commented example configuration file.
    Example,
    /// Print the resolved configuration as TOML (secrets redacted).
    Show,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user to the organization of an existing user (or the only organization).
    Add {
        #[arg(long)]
        email: String,
        /// owner, admin, technician or readonly.
        #[arg(long, default_value = "technician")]
        role: String,
        /// Email of an existing user whose organization the new user joins.
        #[arg(long)]
        same_organization_as: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password (signing the user out everywhere).
    ResetPassword {
        #[arg(long)]
        email: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Make a user the operator of this server (who makes, suspends and
    /// resumes organizations in the dashboard), or with --revoke no longer.
    Operator {
        #[arg(long)]
        email: String,
        #[arg(long)]
        revoke: bool,
    },
}

/// The log goes to standard error (standard output is the commands' own
/// output): lines of text, coloured only on a terminal, or JSON objects.
fn init_logging(format: LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_env("GURURMM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let log = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => log.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => log.json().flatten_event(true).with_ansi(false).init(),
    }
}

/// Records a change made from the command line in the organization's audit log.
async fn audit_cli(
    store: &dyn gururmm_store::Store,
    organization: gururmm_protocol::OrganizationId,
    action: &str,
    user_email: &str,
    details: serde_json::Value,
) -> anyhow::Result<()> {
    let event = gururmm_store::NewAuditEvent {
        organization_id: organization,
        at: chrono::Utc::now(),
        actor: gururmm_server::services::audit::command_line(),
        action: action.into(),
        target_kind: Some("users".into()),
        target_id: Some(user_email.into()),
        source_ip: None,
        details,
    };
    store
        .append_audit(event)
        .await
        .map_err(|e| anyhow::anyhow!("recording to the audit log failed: {e}"))?;
    Ok(())
}

fn read_password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut password = String::new();
        std::io::stdin().read_to_string(&mut password)?;
        let password = password.trim_end_matches(['\r', '\n']).to_string();
        validate_password(&password)?;
        Ok((password, false))
    } else {
        Ok((random_password(), true))
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Config {
            command: ConfigCommand::Example,
        } => {
            print!("{EXAMPLE_CONFIG}");
            Ok(())
        }
        Command::Config {
            command: ConfigCommand::Show,
        } => {
            let (config, warnings) = Config::load(&cli.overrides)?;
            for warning in warnings {
                eprintln!("warning: {warning}");
            }
            print!("{}", config.to_redacted_toml()?);
            Ok(())
        }
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&gururmm_server::openapi())?
            );
            Ok(())
        }
        Command::User { command } => {
            let (config, _) = Config::load(&cli.overrides)?;
            init_logging(config.log_format);
            gururmm_server::data_dir::prepare(&config.data_dir)?;
            let store = gururmm_store::connect(&config.database_url()).await?;
            match command {
                UserCommand::Add {
                    email,
                    role,
                    same_organization_as,
                    password_stdin,
                } => {
                    validate_email(&email)?;
                    let role = Role::parse(&role)
                        .context("role must be owner, admin, technician or readonly")?;
                    let organization_id = match same_organization_as {
                        Some(existing) => {
                            store
                                .find_user_by_email(&existing)
                                .await?
                                .context("no user with that email")?
                                .user
                                .organization_id
                        }
                        None => {
                            bail!("--same-organization-as <email of an existing user> is required")
                        }
                    };
                    let (password, generated) = read_password(password_stdin)?;
                    let user = store
                        .create_user(NewUser {
                            organization_id,
                            email,
                            password_hash: hash_password(&password)?,
                            role,
                            custom_role: None,
                            clients: None,
                        })
                        .await?;
                    audit_cli(
                        store.as_ref(),
                        organization_id,
                        "user_created",
                        &user.email,
                        serde_json::json!({"role": user.role.as_str()}),
                    )
                    .await?;
                    println!("created {} ({})", user.email, user.role.as_str());
                    if generated {
                        println!("password: {password}");
                    }
                }
                UserCommand::ResetPassword {
                    email,
                    password_stdin,
                } => {
                    let user = store
                        .find_user_by_email(&email)
                        .await?
                        .context("no user with that email")?;
                    let (password, generated) = read_password(password_stdin)?;
                    store
                        .set_user_password(user.user.id, &hash_password(&password)?)
                        .await?;
                    audit_cli(
                        store.as_ref(),
                        user.user.organization_id,
                        "password_reset",
                        &user.user.email,
                        serde_json::json!({}),
                    )
                    .await?;
                    println!(
                        "password reset for {}; existing sessions signed out (within {} s on a running server)",
                        user.user.email,
                        gururmm_server::auth::sessions::SESSION_CACHE_SECONDS
                    );
                    if generated {
                        println!("password: {password}");
                    }
                }
                UserCommand::Operator { email, revoke } => {
                    let user = store
                        .find_user_by_email(&email)
                        .await?
                        .context("no user with that email")?;
                    audit_cli(
                        store.as_ref(),
                        user.user.organization_id,
                        if revoke {
                            "operator_revoked"
                        } else {
                            "operator_granted"
                        },
                        &user.user.email,
                        serde_json::json!({}),
                    )
                    .await?;
                    store.set_user_operator(user.user.id, !revoke).await?;
                    println!(
                        "{} {} the operator (within {} s on a running server)",
                        user.user.email,
                        if revoke { "is no longer" } else { "is now" },
                        gururmm_server::auth::sessions::SESSION_CACHE_SECONDS
                    );
                }
            }
            Ok(())
        }
        Command::Org { command } => {
            let (config, _) = Config::load(&cli.overrides)?;
            init_logging(config.log_format);
            gururmm_server::data_dir::prepare(&config.data_dir)?;
            let store = gururmm_store::connect(&config.database_url()).await?;
            match command {
                OrgCommand::Add {
                    name,
                    admin_email,
                    password_stdin,
                } => {
                    let name = name.trim().to_string();
                    if name.is_empty() || name.chars().count() > 200 {
                        bail!("--name: give a name of 1 to 200 characters");
                    }
                    validate_email(&admin_email)?;
                    let taken = store.list_organizations().await?;
                    if taken
                        .iter()
                        .any(|org| org.name.to_lowercase() == name.to_lowercase())
                    {
                        bail!("an organization named {name:?} exists already");
                    }
                    if store.find_user_by_email(&admin_email).await?.is_some() {
                        bail!("{admin_email} already has an account (emails are unique across organizations)");
                    }
                    let (password, generated) = read_password(password_stdin)?;
                    let password_hash = hash_password(&password)?;
                    let organization = store.create_organization(&name).await?;
                    let owner = store
                        .create_user(NewUser {
                            organization_id: organization.id,
                            email: admin_email,
                            password_hash,
                            role: Role::Owner,
                            custom_role: None,
                            clients: None,
                        })
                        .await?;
                    audit_cli(
                        store.as_ref(),
                        organization.id,
                        "organization_created",
                        &owner.email,
                        serde_json::json!({"name": organization.name, "owner": owner.email}),
                    )
                    .await?;
                    println!(
                        "created organization {} ({}) with its owner {}",
                        organization.name, organization.id, owner.email
                    );
                    if generated {
                        println!("password: {password}");
                    }
                }
                OrgCommand::List => {
                    for organization in store.list_organizations().await? {
                        println!(
                            "{}\t{}\t{}{}",
                            organization.id,
                            organization.created_at.format("%Y-%m-%d"),
                            organization.name,
                            if organization.suspended_at.is_some() {
                                "\t(suspended)"
                            } else {
                                ""
                            }
                        );
                    }
                }
                OrgCommand::Suspend { name, reason } => {
                    let organization = organization_named(store.as_ref(), &name).await?;
                    audit_cli(
                        store.as_ref(),
                        organization.id,
                        "organization_suspended",
                        &organization.name,
                        serde_json::json!({"reason": reason}),
                    )
                    .await?;
                    store
                        .set_organization_suspended(organization.id, Some(chrono::Utc::now()))
                        .await?;
                    println!(
                        "suspended {} ({}); its sessions ended",
                        organization.name, organization.id
                    );
                }
                OrgCommand::Resume { name } => {
                    let organization = organization_named(store.as_ref(), &name).await?;
                    audit_cli(
                        store.as_ref(),
                        organization.id,
                        "organization_resumed",
                        &organization.name,
                        serde_json::json!({}),
                    )
                    .await?;
                    store
                        .set_organization_suspended(organization.id, None)
                        .await?;
                    println!("resumed {} ({})", organization.name, organization.id);
                }
            }
            Ok(())
        }
        Command::Vault {
            command: VaultCommand::RotateKey,
        } => {
            let (config, _) = Config::load(&cli.overrides)?;
            init_logging(config.log_format);
            gururmm_server::data_dir::prepare(&config.data_dir)?;
            let store = gururmm_store::connect(&config.database_url()).await?;
            let path = config
                .data_dir
                .join(gururmm_server::vault_keys::KEY_RING_FILE);
            let rewrapped =
                gururmm_server::services::vault::rotate_master_key(store.as_ref(), &path).await?;
            println!(
                "rotated the vault master key in {}; {rewrapped} organization data key(s) re-wrapped",
                path.display()
            );
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let (config, _) = Config::load(&cli.overrides)?;
            init_logging(config.log_format);
            gururmm_server::data_dir::prepare(&config.data_dir)?;
            let store = gururmm_store::connect(&config.database_url()).await?;
            let mut broken = 0;
            for organization in store.list_organizations().await? {
                let result =
                    gururmm_server::services::audit::verify(store.as_ref(), organization.id)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                match result.problem {
                    None => println!(
                        "{}: ok, {} events checked",
                        organization.name, result.checked
                    ),
                    Some((seq, problem)) => {
                        broken += 1;
                        println!(
                            "{}: BROKEN at event {seq}: {problem} ({} events checked before it)",
                            organization.name, result.checked
                        );
                    }
                }
            }
            if broken > 0 {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Serve => {
            // A configuration that does not load stops the start before any log exists:
            // the error goes to standard error as it is.
            let (config, warnings) = Config::load(&cli.overrides)?;
            init_logging(config.log_format);
            for warning in warnings {
                tracing::warn!("{warning}");
            }
            gururmm_server::data_dir::prepare(&config.data_dir)?;
            // Every agent holds a connection: allow as many open files as the system lets us.
            match rlimit::increase_nofile_limit(u64::MAX) {
                Ok(limit) => tracing::info!(open_files = limit, "open file limit"),
                Err(error) => tracing::warn!(%error, "could not raise the open file limit"),
            }
            let listen = config.listen;
            let public_url = config.public_url();
            let backend = if config.database_url().starts_with("sqlite:") {
                "sqlite"
            } else {
                "postgres"
            };
            let state = gururmm_server::build_state(config).await?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("binding {listen}"))?;
            tracing::info!(%listen, %public_url, database = backend, "GuruRMM server listening");
            gururmm_server::serve(state, listener, shutdown_signal()).await
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
