//! The deleted agents list's search and page, kept in the URL like the agents list's.
import { parseListSearch, type ListSearch } from "@/lib/search-params";

export type DeletedAgentListSearch = ListSearch;

export const parseDeletedAgentListSearch = parseListSearch;
