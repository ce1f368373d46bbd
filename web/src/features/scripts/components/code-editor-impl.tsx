//! CodeMirror with the language of the script's type. Loaded lazily: it is the largest piece of the
//! scripts pages and no other page needs it.
import { StreamLanguage } from "@codemirror/language";
import { powerShell } from "@codemirror/legacy-modes/mode/powershell";
import { python } from "@codemirror/legacy-modes/mode/python";
import { shell } from "@codemirror/legacy-modes/mode/shell";
import CodeMirror, { EditorView } from "@uiw/react-codemirror";
import { useMemo } from "react";
import { useTheme } from "@/lib/theme";
import type { CodeEditorProps, CodeLanguage } from "./code-editor";

const LANGUAGES = {
  shell: StreamLanguage.define(shell),
  powershell: StreamLanguage.define(powerShell),
  python: StreamLanguage.define(python),
} as const;

function extensionsFor(language: CodeLanguage) {
  const base = [EditorView.lineWrapping];
  return language === "plain" ? base : [...base, LANGUAGES[language]];
}

export default function CodeEditorImpl({ value, onChange, language, readOnly, height = "320px", ariaLabel, id }: CodeEditorProps) {
  const { resolved } = useTheme();
  const extensions = useMemo(
    () => [...extensionsFor(language), EditorView.contentAttributes.of({ "aria-label": ariaLabel, ...(id ? { id } : {}) })],
    [language, ariaLabel, id],
  );
  return (
    <CodeMirror
      value={value}
      onChange={onChange}
      readOnly={readOnly}
      editable={!readOnly}
      height={height}
      theme={resolved === "dark" ? "dark" : "light"}
      extensions={extensions}
      // Scripts are typed in full: bracket pairing and completion popups get in the way of quoting.
      basicSetup={{ closeBrackets: false, autocompletion: false, foldGutter: false, highlightActiveLine: !readOnly }}
      className="overflow-hidden rounded-md border text-xs [&_.cm-editor]:outline-none [&_.cm-focused]:ring-2 [&_.cm-focused]:ring-ring/50"
    />
  );
}
