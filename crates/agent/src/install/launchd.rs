//! The launchd daemon definition that runs the agent on macOS.

use super::Layout;

/// The daemon's label, also its file name in `/Library/LaunchDaemons`.
pub const LABEL: &str = "com.gururmm.agent";

/// The property list for an agent installed as `layout` says: started at
/// boot, restarted whenever it exits (at most every 10 s), creating files
/// private to root.
pub fn plist(layout: &Layout) -> String {
    let binary = escape(&layout.binary.display().to_string());
    let state_dir = escape(&layout.state_dir.display().to_string());
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>{LABEL}</string>
	<key>ProgramArguments</key>
	<array>
		<string>{binary}</string>
		<string>run</string>
		<string>--state-dir</string>
		<string>{state_dir}</string>
	</array>
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
