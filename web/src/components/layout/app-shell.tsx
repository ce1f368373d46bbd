import { Link } from "@tanstack/react-router";
import {
  ActivityIcon,
  BellIcon,
  BookOpenIcon,
  Building2Icon,
  BuildingIcon,
  FileCode2Icon,
  FileStackIcon,
  FingerprintIcon,
  KeyRoundIcon,
  LayoutDashboardIcon,
  LaptopIcon,
  ListChecksIcon,
  LogOutIcon,
  MenuIcon,
  MonitorIcon,
  MoonIcon,
  PackageCheckIcon,
  PackageSearchIcon,
  ScrollTextIcon,
  SendIcon,
  ServerCogIcon,
  ShieldCheckIcon,
  ShieldEllipsisIcon,
  ShieldUserIcon,
  SunIcon,
  TagsIcon,
  UserCogIcon,
  UserIcon,
  UsersIcon,
  WrenchIcon,
  type LucideIcon,
} from "lucide-react";
import { useState, type ReactNode } from "react";
import { Button } from "@/components/ui/button";
import { Sheet, SheetContent, SheetTitle, SheetTrigger } from "@/components/ui/sheet";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuRadioGroup,
  DropdownMenuRadioItem,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { Tooltip, TooltipContent, TooltipTrigger } from "@/components/ui/tooltip";
import type { Permission } from "@/api/types";
import { can, clientScope, useAuthActions, useCurrentUser } from "@/lib/auth";
import { useLiveConnectionState } from "@/lib/live-events";
import { useTheme, type ThemePreference } from "@/lib/theme";
import { cn } from "@/lib/utils";
import { availableNavigation } from "./scoped-pages";
import { SupportBanner } from "./support-banner";

const NAV_ITEMS = [
  { to: "/", label: "Overview", icon: LayoutDashboardIcon },
  { to: "/alerts", label: "Alerts", icon: BellIcon },
  { to: "/checks", label: "Checks", icon: ActivityIcon },
  { to: "/agents", label: "Agents", icon: MonitorIcon },
  { to: "/software", label: "Software", icon: PackageSearchIcon },
  { to: "/clients", label: "Clients", icon: BuildingIcon },
  { to: "/scripts", label: "Scripts", icon: FileCode2Icon },
  { to: "/jobs", label: "Jobs", icon: ListChecksIcon },
  { to: "/policies", label: "Policies", icon: ShieldEllipsisIcon },
  { to: "/check-templates", label: "Check templates", icon: FileStackIcon },
  { to: "/notifications", label: "Notifications", icon: SendIcon },
  { to: "/maintenance", label: "Maintenance", icon: WrenchIcon },
  { to: "/updates", label: "Agent updates", icon: PackageCheckIcon, permission: "view_agents" },
  { to: "/custom-fields", label: "Custom fields", icon: TagsIcon },
  { to: "/users", label: "Users", icon: UsersIcon, permission: "manage_users" },
  { to: "/roles", label: "Roles", icon: ShieldUserIcon, permission: "manage_users" },
  { to: "/audit", label: "Audit log", icon: ScrollTextIcon, permission: "view_audit" },
  { to: "/organization", label: "Organization", icon: Building2Icon, permission: "manage_organization" },
  { to: "/single-sign-on", label: "Single sign-on", icon: FingerprintIcon, permission: "manage_organization" },
  { to: "/enrollment-requests", label: "Approvals", icon: ShieldCheckIcon },
  { to: "/operator", label: "Organizations", icon: ServerCogIcon, operatorOnly: true },
] as const satisfies readonly { to: string; label: string; icon: LucideIcon; permission?: Permission; operatorOnly?: true }[];

type NavPath = (typeof NAV_ITEMS)[number]["to"];

/**
 * The page shell; `navBadges` puts a feature's live count beside a navigation entry, `search` sits at
 * the start of the header, `accessNote` beside the user menu (a client scope). An operator's support
 * session puts its banner above the header.
 */
export function AppShell({
  children,
  navBadges = {},
  search,
  accessNote,
}: {
  children: ReactNode;
  navBadges?: Partial<Record<NavPath, ReactNode>>;
  search?: ReactNode;
  accessNote?: ReactNode;
}) {
  return (
    <div className="flex min-h-svh">
      {/* From tablet width up the navigation is a sidebar; below it, a menu button opens it as a sheet. */}
      <aside className="sticky top-0 hidden h-svh w-48 shrink-0 flex-col border-r bg-sidebar md:flex">
        <HomeLink className="h-12 shrink-0 border-b px-4" />
        <Navigation navBadges={navBadges} />
      </aside>
      <div className="flex min-w-0 flex-1 flex-col">
        {/* An operator's support session shows above the header on every page, scrolling with it. */}
        <div className="sticky top-0 z-40">
          <SupportBanner />
          <header className="flex h-12 items-center justify-end gap-2 border-b bg-background/95 px-2 backdrop-blur md:px-4">
            <MobileNavigation navBadges={navBadges} />
            {search}
            <LiveIndicator />
            <ThemeToggle />
            {accessNote}
            <UserMenu />
          </header>
        </div>
        <main className="mx-auto w-full max-w-[1600px] flex-1 p-3 md:p-4 lg:p-5">{children}</main>
      </div>
    </div>
  );
}

function HomeLink({ className, onNavigate }: { className?: string; onNavigate?: () => void }) {
  return (
    <Link to="/" onClick={onNavigate} className={cn("flex items-center gap-2 font-semibold tracking-tight", className)}>
      <img src="/favicon.svg" alt="" className="size-5" />
      GuruRMM
    </Link>
  );
}

function Navigation({ navBadges, onNavigate }: { navBadges: Partial<Record<NavPath, ReactNode>>; onNavigate?: () => void }) {
  const user = useCurrentUser().data;
  // An entry that needs a permission shows only once the user is known to have it, the operator's
  // only to the operator of this server; a user limited to some clients sees only the pages that work
  // for them.
  const items = availableNavigation(
    NAV_ITEMS.filter(
      (item) => (!("permission" in item) || can(user, item.permission)) && (!("operatorOnly" in item) || user?.operator === true),
    ),
    clientScope(user),
  );
  return (
    <nav aria-label="Main" className="grid gap-0.5 p-2">
      {items.map(({ to, label, icon: Icon }) => (
        <Link
          key={to}
          to={to}
          onClick={onNavigate}
          className="flex items-center gap-2 rounded-md px-2.5 py-1.5 text-sm text-muted-foreground hover:bg-accent hover:text-accent-foreground max-md:py-2"
          activeProps={{ className: "bg-accent font-medium text-foreground" }}
          activeOptions={{ exact: to === "/" }}
        >
          <Icon className="size-4" aria-hidden />
          {label}
          {navBadges[to]}
        </Link>
      ))}
    </nav>
  );
}

/**
 * The menu button of narrow screens and the sheet it opens. Following a link closes the sheet (even
 * the link of the page already shown), as do Escape and a tap beside it.
 */
function MobileNavigation({ navBadges }: { navBadges: Partial<Record<NavPath, ReactNode>> }) {
  const [open, setOpen] = useState(false);
  const close = () => setOpen(false);
  return (
    <div className="mr-auto flex items-center gap-1 md:hidden">
      <Sheet open={open} onOpenChange={setOpen}>
        <SheetTrigger asChild>
          <Button variant="ghost" size="icon" aria-label="Open navigation" data-testid="navigation-menu-button">
            <MenuIcon />
          </Button>
        </SheetTrigger>
        <SheetContent side="left" aria-describedby={undefined} data-testid="navigation-sheet">
          <SheetTitle className="sr-only">Navigation</SheetTitle>
          <HomeLink className="h-12 shrink-0 border-b px-4" onNavigate={close} />
          <Navigation navBadges={navBadges} onNavigate={close} />
        </SheetContent>
      </Sheet>
      <HomeLink />
    </div>
  );
}

function LiveIndicator() {
  const state = useLiveConnectionState();
  const label = state === "open" ? "Live" : state === "connecting" ? "Connecting…" : "Reconnecting…";
  return (
    <Tooltip>
      <TooltipTrigger asChild>
        <span className="mr-2 flex items-center gap-1.5 text-xs text-muted-foreground" data-testid="live-indicator" data-state={state}>
          <span className={cn("size-2 rounded-full", state === "open" ? "bg-success" : "animate-pulse bg-warning")} aria-hidden />
          {label}
        </span>
      </TooltipTrigger>
      <TooltipContent>
        {state === "open"
          ? "Status and metrics update as agents report."
          : "The live connection dropped; numbers may be stale until it is back."}
      </TooltipContent>
    </Tooltip>
  );
}

function ThemeToggle() {
  const { preference, resolved, setPreference } = useTheme();
  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" size="icon" aria-label="Color theme" data-testid="theme-toggle">
          {resolved === "dark" ? <MoonIcon /> : <SunIcon />}
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end">
        <DropdownMenuRadioGroup value={preference} onValueChange={(value) => setPreference(value as ThemePreference)}>
          <DropdownMenuRadioItem value="light">
            <SunIcon /> Light
          </DropdownMenuRadioItem>
          <DropdownMenuRadioItem value="dark">
            <MoonIcon /> Dark
          </DropdownMenuRadioItem>
          <DropdownMenuRadioItem value="system">
            <LaptopIcon /> System
          </DropdownMenuRadioItem>
        </DropdownMenuRadioGroup>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}

function UserMenu() {
  const user = useCurrentUser();
  const { logout } = useAuthActions();
  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" className="gap-2" data-testid="user-menu">
          <UserIcon />
          <span className="hidden flex-col items-start leading-tight sm:flex">
            <span className="text-xs font-medium">{user.data?.email ?? "…"}</span>
            <span className="text-[11px] text-muted-foreground">{user.data?.organization_name ?? ""}</span>
          </span>
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end" className="w-56">
        <DropdownMenuLabel className="grid gap-0.5">
          <span className="truncate">{user.data?.email}</span>
          <span className="text-xs font-normal text-muted-foreground">
            {user.data?.organization_name} · {user.data?.role}
          </span>
        </DropdownMenuLabel>
        <DropdownMenuSeparator />
        <DropdownMenuItem asChild>
          <Link to="/account" data-testid="account-link">
            <UserCogIcon /> Your account
          </Link>
        </DropdownMenuItem>
        <DropdownMenuItem asChild>
          <Link to="/api-keys" data-testid="api-keys-link">
            <KeyRoundIcon /> API keys
          </Link>
        </DropdownMenuItem>
        {/* The server's page, not a dashboard route: a plain link loads it. */}
        <DropdownMenuItem asChild>
          <a href="/docs">
            <BookOpenIcon /> API docs
          </a>
        </DropdownMenuItem>
        <DropdownMenuItem onSelect={() => void logout()}>
          <LogOutIcon /> Log out
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
