//! The launchd daemon definition that runs the agent on macOS.

use super::{service_command, Layout, RunSettings};

/// The daemon's label, also its file name in `/Library/LaunchDaemons`.
pub const LABEL: &str = "com.gururmm.agent";

/// The property list for an agent installed as `layout` says, run as
/// `settings` say: the watchdog (which runs the agent and restarts it with
/// backoff) started at boot, restarted whenever it exits (at most every
/// 10 s), creating files private to root.
pub fn plist(layout: &Layout, settings: &RunSettings) -> String {
    let arguments: String = service_command(layout, settings)
        .iter()
        .map(|argument| format!("\t\t<string>{}</string>\n", escape(argument)))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>{LABEL}</string>
	<key>ProgramArguments</key>
	<array>
{arguments}	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<true/>
	<key>ThrottleInterval</key>
	<integer>10</integer>
	<key>Umask</key>
	<integer>63</integer>
</dict>
</plist>
"#
    )
}

/// Text inside an XML element.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
