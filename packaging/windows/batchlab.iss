; Inno Setup script: the Windows installer for the PyInstaller folder dist\BatchLab\.
;   iscc /DAppVersion=0.1.0 packaging\windows\batchlab.iss
; makes dist\BatchLab-<version>-windows-setup.exe. Per-user install: no administrator rights needed.
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6B1C6A52-3D0E-4C53-9A7E-2E6A0B7C9B41}
AppName=BatchLab
AppVersion={#AppVersion}
AppPublisher=BatchLab
DefaultDirName={autopf}\BatchLab
DefaultGroupName=BatchLab
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
OutputDir=..\..\dist
OutputBaseFilename=BatchLab-{#AppVersion}-windows-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
UninstallDisplayIcon={app}\BatchLab.exe

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\dist\BatchLab\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\BatchLab"; Filename: "{app}\BatchLab.exe"
Name: "{group}\Uninstall BatchLab"; Filename: "{uninstallexe}"
Name: "{autodesktop}\BatchLab"; Filename: "{app}\BatchLab.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\BatchLab.exe"; Description: "{cm:LaunchProgram,BatchLab}"; Flags: nowait postinstall skipifsilent
