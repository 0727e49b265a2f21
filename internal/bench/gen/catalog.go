package gen

// Static catalogs the synthetic enterprise is drawn from. Weights are relative; order
// matters (it fixes codes and therefore the output), so these lists only ever grow at
// the end.

// department describes one department: its relative size, slug (team prefix), code (role
// prefix), role category, title mix and team name words.
type department struct {
	name     string
	slug     string
	code     string
	category string
	weight   float64
	titles   []weighted
	teams    []string
	// roles are the department-wide role suffixes (shared drive, distribution list...).
	roles []string
}

type weighted struct {
	name   string
	weight float64
}

// Shared titles: leads are "Manager", department heads "Director", interns "Intern".
const (
	titleManager  = "Manager"
	titleDirector = "Director"
	titleIntern   = "Intern"
)

var departments = []department{
	{"Engineering", "eng", "ENG", "engineering", 0.26,
		[]weighted{{"Software Engineer", 45}, {"Senior Software Engineer", 20}, {"SRE", 10}, {"QA Engineer", 8}, {"Architect", 5}, {"Analyst", 3}},
		[]string{"platform", "payments", "mobile", "web", "search", "infra", "checkout", "identity", "growth", "api", "data-pipeline", "tooling"},
		[]string{"GIT_WRITE", "JIRA_USER", "WIKI_EDIT", "BUILD_RUNNER", "DEV_VPN", "SHARED_DRIVE", "DL", "STAGING_READ"}},
	{"Operations", "ops", "OPS", "operations", 0.17,
		[]weighted{{"Operations Specialist", 40}, {"Logistics Coordinator", 20}, {"Warehouse Associate", 25}, {"Shift Supervisor", 8}, {"Analyst", 7}},
		[]string{"fulfilment", "logistics", "warehouse", "dispatch", "planning", "returns", "fleet", "inbound"},
		[]string{"WMS_USER", "TMS_USER", "SHARED_DRIVE", "DL", "SCHEDULER", "INCIDENT_LOG", "KPI_DASHBOARD", "HANDHELD"}},
	{"Sales", "sales", "SAL", "sales", 0.11,
		[]weighted{{"Account Executive", 35}, {"Sales Development Rep", 30}, {"Account Manager", 20}, {"Sales Engineer", 10}, {"Coordinator", 5}},
		[]string{"emea", "amer", "apac", "enterprise", "smb", "partners", "renewals", "inside"},
		[]string{"CRM_USER", "QUOTE_TOOL", "SHARED_DRIVE", "DL", "PRICEBOOK_READ", "FORECAST", "CONTRACTS_READ", "LEADS"}},
	{"Customer Support", "support", "SUP", "support", 0.09,
		[]weighted{{"Support Agent", 55}, {"Senior Support Agent", 25}, {"Support Engineer", 12}, {"Specialist", 8}},
		[]string{"tier1", "tier2", "escalations", "billing-desk", "onboarding", "chat", "voice", "community"},
		[]string{"HELPDESK_USER", "CRM_READ", "KB_EDIT", "SHARED_DRIVE", "DL", "TELEPHONY", "REFUNDS_READ", "CHAT_CONSOLE"}},
	{"Marketing", "mkt", "MKT", "marketing", 0.05,
		[]weighted{{"Marketing Specialist", 40}, {"Content Writer", 20}, {"Designer", 20}, {"Analyst", 20}},
		[]string{"brand", "content", "events", "demand-gen", "product-marketing", "social"},
		[]string{"CMS_EDIT", "ADS_CONSOLE", "SHARED_DRIVE", "DL", "DAM_USER", "ANALYTICS_READ", "EVENTS_TOOL", "SOCIAL_TOOL"}},
	{"Finance", "fin", "FIN", "finance", 0.045,
		[]weighted{{"Accountant", 35}, {"Financial Analyst", 25}, {"Payables Clerk", 20}, {"Controller", 5}, {"Analyst", 15}},
		[]string{"payables", "receivables", "treasury", "fpa", "tax", "payroll-accounting", "audit-prep"},
		[]string{"ERP_READ", "ERP_POST", "SHARED_DRIVE", "DL", "REPORTING", "BUDGET_VIEW", "EXPENSE_APPROVE", "BANK_PORTAL"}},
	{"IT", "it", "ITS", "infrastructure", 0.04,
		[]weighted{{"System Administrator", 35}, {"Helpdesk Technician", 30}, {"Network Engineer", 15}, {"SRE", 10}, {"Specialist", 10}},
		[]string{"helpdesk", "endpoint", "network", "cloud", "directory", "collab", "datacenter"},
		[]string{"AD_OPERATOR", "MDM_CONSOLE", "SHARED_DRIVE", "DL", "ITSM_AGENT", "NETWORK_READ", "CMDB_EDIT", "REMOTE_ASSIST"}},
	{"Product", "prd", "PRD", "product", 0.035,
		[]weighted{{"Product Manager", 50}, {"Designer", 25}, {"UX Researcher", 15}, {"Analyst", 10}},
		[]string{"core", "mobile-app", "monetisation", "discovery", "platform-pm", "design-system"},
		[]string{"ROADMAP_TOOL", "JIRA_USER", "SHARED_DRIVE", "DL", "ANALYTICS_READ", "DESIGN_TOOL", "FEEDBACK_PORTAL", "WIKI_EDIT"}},
	{"Human Resources", "hr", "HRS", "hr", 0.025,
		[]weighted{{"HR Generalist", 40}, {"Recruiter", 35}, {"Payroll Specialist", 15}, {"Coordinator", 10}},
		[]string{"talent", "people-ops", "comp-ben", "learning", "hr-payroll"},
		[]string{"HRIS_USER", "ATS_USER", "SHARED_DRIVE", "DL", "PAYROLL_READ", "LMS_ADMIN", "BENEFITS_PORTAL", "ORG_CHART_EDIT"}},
	{"Data", "data", "DAT", "data", 0.025,
		[]weighted{{"Data Scientist", 40}, {"Data Engineer", 35}, {"Analyst", 25}},
		[]string{"analytics", "ml", "bi", "data-platform", "experimentation"},
		[]string{"WAREHOUSE_READ", "NOTEBOOKS", "SHARED_DRIVE", "DL", "BI_PUBLISH", "FEATURE_STORE", "DATA_CATALOG", "ML_TRAINING"}},
	{"Security", "sec", "SEC", "security", 0.02,
		[]weighted{{"Security Engineer", 45}, {"Security Analyst", 35}, {"SOC Analyst", 20}},
		[]string{"soc", "appsec", "iam", "grc-tech", "red-team", "incident-response"},
		[]string{"SIEM_READ", "EDR_CONSOLE", "SHARED_DRIVE", "DL", "VULN_SCANNER", "PAM_USER", "TICKETS", "FORENSICS"}},
	{"Manufacturing", "mfg", "MFG", "operations", 0.05,
		[]weighted{{"Production Technician", 50}, {"Line Supervisor", 10}, {"Quality Inspector", 20}, {"Process Engineer", 15}, {"Coordinator", 5}},
		[]string{"assembly", "machining", "quality", "maintenance", "packaging", "process"},
		[]string{"MES_USER", "SCADA_READ", "SHARED_DRIVE", "DL", "QMS_USER", "MAINT_TICKETS", "SHIFT_PLANNER", "SAFETY_PORTAL"}},
	{"Procurement", "proc", "PRC", "procurement", 0.015,
		[]weighted{{"Buyer", 45}, {"Category Manager", 25}, {"Analyst", 15}, {"Coordinator", 15}},
		[]string{"direct", "indirect", "vendor-mgmt", "sourcing"},
		[]string{"P2P_USER", "SUPPLIER_PORTAL", "SHARED_DRIVE", "DL", "CONTRACTS_READ", "PO_APPROVE", "SPEND_REPORTS", "CATALOG_EDIT"}},
	{"Facilities", "fac", "FAC", "facilities", 0.012,
		[]weighted{{"Facilities Technician", 50}, {"Office Manager", 30}, {"Coordinator", 20}},
		[]string{"workplace", "maintenance-fac", "security-guard", "reception"},
		[]string{"BMS_READ", "BADGE_ADMIN", "SHARED_DRIVE", "DL", "ROOM_BOOKING_ADMIN", "CCTV_VIEW", "WORK_ORDERS", "VISITOR_MGMT"}},
	{"Research", "rnd", "RND", "research", 0.012,
		[]weighted{{"Research Scientist", 60}, {"Lab Technician", 40}},
		[]string{"applied", "lab", "materials", "prototyping"},
		[]string{"LIMS_USER", "ELN_USER", "SHARED_DRIVE", "DL", "HPC_SUBMIT", "PATENT_DB", "LAB_BOOKING", "INSTRUMENTS"}},
	{"Legal", "legal", "LEG", "legal", 0.008,
		[]weighted{{"Counsel", 50}, {"Paralegal", 30}, {"Contract Manager", 20}},
		[]string{"corporate", "commercial", "ip", "privacy"},
		[]string{"CLM_USER", "MATTERS", "SHARED_DRIVE", "DL", "EDISCOVERY", "BOARD_PORTAL", "SIGNATURES", "LEGAL_HOLD"}},
	{"Compliance", "cmp", "CMP", "compliance", 0.007,
		[]weighted{{"Compliance Officer", 50}, {"Auditor", 30}, {"Analyst", 20}},
		[]string{"regulatory", "internal-audit", "aml"},
		[]string{"GRC_USER", "AUDIT_READ", "SHARED_DRIVE", "DL", "POLICY_EDIT", "AML_CASES", "ATTESTATIONS", "EVIDENCE_VAULT"}},
	{"Executive", "exec", "EXE", "executive", 0.003,
		[]weighted{{"Executive Assistant", 60}, {"Chief of Staff", 40}},
		[]string{"office-of-ceo", "board-office"},
		[]string{"BOARD_PORTAL", "EXEC_CALENDAR", "SHARED_DRIVE", "DL", "FIN_DASHBOARD", "M_AND_A_ROOM", "COMMS_APPROVE", "ALL_HANDS"}},
}

// Locations, roughly Zipf-weighted (head offices first).
var locations = []weighted{
	{"New York", 14}, {"London", 11}, {"Berlin", 9}, {"Bangalore", 8}, {"Paris", 6},
	{"Singapore", 5}, {"Toronto", 5}, {"Austin", 4.5}, {"Dublin", 4}, {"Sao Paulo", 3.5},
	{"Tokyo", 3}, {"Sydney", 3}, {"Warsaw", 2.5}, {"Madrid", 2.2}, {"Chicago", 2},
	{"Amsterdam", 1.8}, {"Mexico City", 1.5}, {"Seoul", 1.2}, {"Zurich", 1}, {"Cape Town", 0.8},
}

// Employment types (interns are titled "Intern"; leads are always employees).
var employmentTypes = []weighted{
	{"employee", 83}, {"contractor", 12}, {"intern", 3}, {"temporary", 2},
}

// Non-human kinds with their share of non-human identities and id prefixes.
var nhiKinds = []struct {
	name   string
	prefix string
	weight float64
}{
	{"service_account", "svc", 55}, {"api_key", "key", 25}, {"workload", "wl", 20},
}

var environments = []weighted{{"prod", 40}, {"staging", 20}, {"dev", 25}, {"test", 15}}

// appWords name applications; beyond the list, names get a numeric suffix.
var appWords = []string{
	"payments", "billing", "ledger", "crm", "checkout", "inventory", "search", "catalog",
	"orders", "shipping", "notifications", "auth", "identity", "analytics", "reporting", "etl",
	"datalake", "warehouse", "ml-platform", "recommendations", "pricing", "fraud", "risk", "kyc",
	"onboarding", "hr-portal", "payroll", "expenses", "procurement", "contracts", "docs", "wiki",
	"chat", "email-gateway", "cdn", "dns", "monitoring", "logging", "metrics", "tracing",
	"backup", "ci", "deploy", "artifacts", "registry", "secrets", "gateway", "mobile-api",
	"web-frontend", "partner-api", "scheduler", "batch", "streaming", "events", "cache", "geo",
	"translations", "media", "support-desk", "loyalty",
}

// perm is a role-name suffix with the validations its requests need.
type perm struct {
	suffix      string
	validations int
}

// Permission suffixes of application roles (NHI), with their validations.
var appPerms = []perm{
	{"READ", 0}, {"WRITE", 1}, {"DEPLOY", 2}, {"ADMIN", 3}, {"SECRETS_READ", 2}, {"QUEUE_PUBLISH", 1},
}

// Team role suffixes, with their validations.
var teamPerms = []perm{
	{"MEMBER", 0}, {"REPO_WRITE", 1}, {"DEPLOY", 2}, {"APPROVER", 2}, {"ADMIN", 3}, {"DASHBOARD", 0},
}

// Business applications that department-level roles belong to, by category.
var businessApps = map[string]string{
	"engineering": "github", "operations": "sap-wms", "sales": "salesforce", "support": "zendesk",
	"marketing": "hubspot", "finance": "sap-erp", "infrastructure": "servicenow", "product": "jira",
	"hr": "workday", "data": "snowflake", "security": "splunk", "procurement": "coupa",
	"facilities": "archibus", "research": "labware", "legal": "ironclad", "compliance": "archer",
	"executive": "boardvantage",
}

// Project code names.
var projectWords = []string{
	"ATLAS", "HELIOS", "ORION", "PHOENIX", "NOVA", "TITAN", "APOLLO", "ZEPHYR", "AURORA", "KESTREL",
	"MERIDIAN", "POLARIS", "VEGA", "LYNX", "CASCADE", "EVEREST", "SEQUOIA", "COBALT", "FALCON", "QUASAR",
}

var firstNames = []string{
	"james", "mary", "wei", "fatima", "olga", "juan", "aisha", "li", "noah", "emma", "raj", "sofia",
	"kenji", "chloe", "omar", "anna", "lucas", "mia", "ivan", "priya", "tom", "sara", "ali", "julia",
}

var lastNames = []string{
	"smith", "garcia", "chen", "khan", "muller", "rossi", "kim", "nguyen", "patel", "silva",
	"novak", "dubois", "tanaka", "brown", "jones", "lopez", "wang", "singh", "kowalski", "jensen",
}
