//! An agent's tags, each a link to the agents list filtered by it.
import { Link } from "@tanstack/react-router";
import { Badge } from "@/components/ui/badge";

export function AgentTags({ tags }: { tags: string[] }) {
  return (
    <span className="flex flex-wrap gap-1" data-testid="agent-tags">
      {tags.map((tag) => (
        <Badge key={tag} variant="muted">
          <Link to="/agents" search={{ tag }} className="hover:underline" title={`Agents tagged ${tag}`}>
            {tag}
          </Link>
        </Badge>
      ))}
    </span>
  );
}
