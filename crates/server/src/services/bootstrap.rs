//! First start: an empty database gets one organization and one administrator,
//! from configuration or with a random password written once to a private
//! file in the data directory. There is no setup route, before or after.

use crate::auth::secrets::{hash_password, random_password, MIN_PASSWORD_LEN};
use crate::config::Config;
use anyhow::{bail, Context};
use gururmm_store::{NewUser, Role, Store};

pub async fn bootstrap_admin(store: &dyn Store, config: &Config) -> anyhow::Result<()> {
    if store.count_users().await? > 0 {
        return Ok(());
    }
    let email = config
        .admin_email
        .clone()
        .unwrap_or_else(|| "admin@localhost".to_string());
    validate_email(&email)?;
    let (password, generated) = match &config.admin_password {
        Some(password) => {
            validate_password(&password.0)?;
            (password.0.clone(), false)
        }
        None => (random_password(), true),
    };
    let organization = store.create_organization(&config.organization_name).await?;
    let password_hash = hash_password(&password)?;
    let owner = store
        .create_user(NewUser {
            organization_id: organization.id,
            email: email.clone(),
            password_hash,
            role: Role::Owner,
            custom_role: None,
            clients: None,
        })
        .await
        .context("creating the first administrator")?;
    // The instance's first administrator runs it: organizations are theirs to make.
    store
        .set_user_operator(owner.id, true)
        .await
        .context("making the first administrator the operator")?;
    if generated {
        // Never into the log (logs are shipped, kept and read by others): a private file.
        let path = crate::data_dir::write_initial_password(&config.data_dir, &email, &password)?;
        tracing::warn!(
            "created the first administrator {email} with a generated password, written to {} \
             (readable by this account only) — sign in, change it and delete the file",
            path.display()
        );
    } else {
        tracing::info!("created the first administrator {email} from configuration");
    }
    Ok(())
}

pub fn validate_email(email: &str) -> anyhow::Result<()> {
    let email = email.trim();
    if email.len() > 254 || !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        bail!("invalid email address: {email}");
    }
    Ok(())
}

pub fn validate_password(password: &str) -> anyhow::Result<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        bail!("passwords must have at least {MIN_PASSWORD_LEN} characters");
    }
    if password.len() > crate::auth::secrets::MAX_PASSWORD_LEN {
        bail!(
            "passwords must have at most {} bytes",
            crate::auth::secrets::MAX_PASSWORD_LEN
        );
    }
    Ok(())
}
