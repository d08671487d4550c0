<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
    <context>
        <name>RegionEditor</name>
        <message numerus="yes">
            <source>deleting %n region(s)</source>
            <translation>
                <numerusform>deleting %n region</numerusform>
                <numerusform>deleting %n regions</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>MainWindow</name>
        <message numerus="yes">
            <source>%Ln photo(s) already exported as they are now: skipped.</source>
            <translation>
                <numerusform>%Ln photo already exported as it is now: skipped.</numerusform>
                <numerusform>%Ln photos already exported as they are now: skipped.</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%Ln file(s) not written by crowdveil were left as they are (%1): the copy there is not the current one of its photo. Choose Replace to write over it.</source>
            <translation>
                <numerusform>%Ln file not written by crowdveil was left as it is (%1): the copy there is not the current one of its photo. Choose Replace to write over it.</numerusform>
                <numerusform>%Ln files not written by crowdveil were left as they are (%1): the copies there are not the current ones of their photos. Choose Replace to write over them.</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%Ln photo(s) still being checked are not included.</source>
            <translation>
                <numerusform>%Ln photo still being checked is not included.</numerusform>
                <numerusform>%Ln photos still being checked are not included.</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>Exporting %Ln photo(s)…</source>
            <translation>
                <numerusform>Exporting %Ln photo…</numerusform>
                <numerusform>Exporting %Ln photos…</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>Exported %Ln photo(s).</source>
            <translation>
                <numerusform>Exported %Ln photo.</numerusform>
                <numerusform>Exported %Ln photos.</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%Ln failed (see the list).</source>
            <translation>
                <numerusform>%Ln failed (see the list).</numerusform>
                <numerusform>%Ln failed (see the list).</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>… and %Ln more</source>
            <translation>
                <numerusform>… and %Ln more</numerusform>
                <numerusform>… and %Ln more</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%Ln file(s) already exist in the export folder. Skip existing keeps the ones crowdveil wrote from these photos as they are now, and writes the others again.</source>
            <translation>
                <numerusform>%Ln file already exists in the export folder. Skip existing keeps the ones crowdveil wrote from these photos as they are now, and writes the others again.</numerusform>
                <numerusform>%Ln files already exist in the export folder. Skip existing keeps the ones crowdveil wrote from these photos as they are now, and writes the others again.</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%Ln of them were not written by crowdveil (or were changed since): Skip existing leaves them as they are, so what is published there is not the current photo:</source>
            <translation>
                <numerusform>%Ln of them was not written by crowdveil (or was changed since): Skip existing leaves it as it is, so what is published there is not the current photo:</numerusform>
                <numerusform>%Ln of them were not written by crowdveil (or were changed since): Skip existing leaves them as they are, so what is published there is not the current photo:</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%Ln file(s) checked.</source>
            <translation>
                <numerusform>%Ln file checked.</numerusform>
                <numerusform>%Ln files checked.</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%Ln cannot be used.</source>
            <translation>
                <numerusform>%Ln cannot be used.</numerusform>
                <numerusform>%Ln cannot be used.</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>PhotoItem</name>
        <message numerus="yes">
            <source>video, %1 s, %Ln frame(s)</source>
            <translation>
                <numerusform>video, %1 s, %Ln frame</numerusform>
                <numerusform>video, %1 s, %Ln frames</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>up to %Ln region(s) in a frame</source>
            <translation>
                <numerusform>up to %Ln region in a frame</numerusform>
                <numerusform>up to %Ln regions in a frame</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%Ln region(s)</source>
            <translation>
                <numerusform>%Ln region</numerusform>
                <numerusform>%Ln regions</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%Ln metadata item(s)</source>
            <translation>
                <numerusform>%Ln metadata item</numerusform>
                <numerusform>%Ln metadata items</numerusform>
            </translation>
        </message>
    </context>
    <context>
        <name>RevealPanel</name>
        <message numerus="yes">
            <source>Up to %Ln region(s) in a frame will be destroyed.</source>
            <translation>
                <numerusform>Up to %Ln region in a frame will be destroyed.</numerusform>
                <numerusform>Up to %Ln regions in a frame will be destroyed.</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%Ln region(s) will be destroyed.</source>
            <translation>
                <numerusform>%Ln region will be destroyed.</numerusform>
                <numerusform>%Ln regions will be destroyed.</numerusform>
            </translation>
        </message>
    </context>
</TS>
