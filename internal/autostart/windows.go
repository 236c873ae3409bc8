package autostart

import "strings"

func windowsPlan(s Spec) Plan {
	path := strings.TrimRight(s.Home, `\`) + `\autostart-task.xml`
	return Plan{
		OS:     "windows",
		File:   File{Path: path, Content: TaskXML(s), Mode: 0o600, UTF16: true},
		On:     [][]string{{"schtasks", "/Create", "/TN", Name, "/XML", path, "/F"}, {"schtasks", "/Run", "/TN", Name}},
		Off:    [][]string{{"schtasks", "/End", "/TN", Name}, {"schtasks", "/Delete", "/TN", Name, "/F"}},
		Status: [][]string{{"schtasks", "/Query", "/TN", Name, "/FO", "LIST"}},
		Logs:   windowsLog(s),
	}
}

func windowsLog(s Spec) string {
	dir := s.LocalAppData
	if dir == "" {
		dir = "%LOCALAPPDATA%"
	}
	return dir + `\peerhood\peerhood.log`
}

// winQuote quotes a word for cmd.exe.
func winQuote(w string) string { return `"` + strings.ReplaceAll(w, `"`, `""`) + `"` }

// TaskXML renders the scheduled task: at the user's logon, run the node
// hidden through cmd.exe, its standard error appended to the log; restart
// it on failure, never stop it for running long.
func TaskXML(s Spec) string {
	log := windowsLog(s)
	inner := winQuote(s.Exe)
	for _, a := range s.Args() {
		inner += " " + winQuote(a)
	}
	inner += " 2>> " + winQuote(log)
	args := xmlText(`/d /c "` + inner + `"`)
	// The log's folder must exist before cmd.exe appends to it.
	dir := winQuote(log[:strings.LastIndex(log, `\`)])
	mk := xmlText(`/d /c if not exist ` + dir + ` mkdir ` + dir)
	return `<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>peerhood node (peer-to-peer workgroup)</Description>
    <URI>\` + Name + `</URI>
  </RegistrationInfo>
  <Triggers>
    <LogonTrigger>
      <Enabled>true</Enabled>
    </LogonTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <RestartOnFailure>
      <Interval>PT1M</Interval>
      <Count>999</Count>
    </RestartOnFailure>
    <Hidden>true</Hidden>
    <Enabled>true</Enabled>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>cmd.exe</Command>
      <Arguments>` + mk + `</Arguments>
    </Exec>
    <Exec>
      <Command>cmd.exe</Command>
      <Arguments>` + args + `</Arguments>
    </Exec>
  </Actions>
</Task>
`
}
