//! Friendly names for the generated wire types. Only schema names the server promises are used here;
//! nested enums are taken from their fields so the server may inline or name them as it likes.
import type { components } from "./schema";

type Schemas = components["schemas"];

export type ErrorBody = Schemas["ErrorBody"];
export type User = Schemas["User"];
export type Role = User["role"];
export type LoginRequest = Schemas["LoginRequest"];
export type LoginResponse = Schemas["LoginResponse"];
export type Client = Schemas["Client"];
export type ClientPage = Schemas["ClientPage"];
export type Site = Schemas["Site"];
export type SitePage = Schemas["SitePage"];
export type EnrollmentKey = Schemas["EnrollmentKey"];
export type AgentSummary = Schemas["AgentSummary"];
export type AgentPage = Schemas["AgentPage"];
export type AgentStatus = AgentSummary["status"];
export type AgentDetail = Schemas["AgentDetail"];
export type OsInfo = Schemas["OsInfo"];
export type NetworkInterface = Schemas["NetworkInterface"];
export type MetricSample = Schemas["MetricSample"];
export type DiskUsage = Schemas["DiskUsage"];
export type LoggedInUser = Schemas["LoggedInUser"];
export type ProcessInfo = Schemas["ProcessInfo"];
export type TemperatureReading = Schemas["TemperatureReading"];
export type FanReading = Schemas["FanReading"];
export type CollectorError = Schemas["CollectorError"];
export type MetricSeries = Schemas["MetricSeries"];
export type MetricPoint = Schemas["MetricPoint"];
export type AgentEvent = Schemas["AgentEvent"];
export type AgentEventList = Schemas["AgentEventList"];
export type Command = Schemas["Command"];
export type CommandPage = Schemas["CommandPage"];
export type CommandSpec = Schemas["CommandSpec"];
export type CommandType = Schemas["CommandType"];
export type RunAs = Schemas["RunAs"];
