import { lazy, Suspense } from "react";
import { Skeleton } from "@/components/ui/skeleton";

export type CodeLanguage = "shell" | "powershell" | "python" | "plain";

export interface CodeEditorProps {
  value: string;
  onChange?: (value: string) => void;
  language: CodeLanguage;
  readOnly?: boolean;
  height?: string;
  ariaLabel: string;
  id?: string;
}

const CodeEditorImpl = lazy(() => import("./code-editor-impl"));

/** The language to highlight for a script's type (and, for `script`, its interpreter). */
export function codeLanguage(commandType: string, interpreter: string | null | undefined): CodeLanguage {
  if (commandType === "shell") return "shell";
  if (commandType === "powershell") return "powershell";
  if (commandType === "python") return "python";
  const program = (interpreter ?? "").trim().split(/[\\/]/).pop()?.toLowerCase() ?? "";
  if (/^(ba|da|z|k|fi)?sh$/.test(program)) return "shell";
  if (program.startsWith("python")) return "python";
  if (program.startsWith("pwsh") || program.startsWith("powershell")) return "powershell";
  return "plain";
}

/** A syntax-highlighting code editor, loaded on first use. */
export function CodeEditor(props: CodeEditorProps) {
  return (
    <Suspense fallback={<Skeleton style={{ height: props.height ?? "320px" }} />}>
      <div data-testid="code-editor" data-language={props.language}>
        <CodeEditorImpl {...props} />
      </div>
    </Suspense>
  );
}
