<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR" sourcelanguage="en">
    <context>
        <name>RegionEditor</name>
        <message>
            <source>adding a region</source>
            <translation>l’ajout d’une zone</translation>
        </message>
        <message numerus="yes">
            <source>deleting %n region(s)</source>
            <translation>
                <numerusform>la suppression de %n zone</numerusform>
                <numerusform>la suppression de %n zones</numerusform>
            </translation>
        </message>
        <message>
            <source>moving a region</source>
            <translation>le déplacement d’une zone</translation>
        </message>
    </context>
    <context>
        <name>MainWindow</name>
        <message>
            <source>Make protest photos safe to share</source>
            <translation>Rendre les photos de manifestation sûres à partager</translation>
        </message>
        <message>
            <source>Photos</source>
            <translation>Photos</translation>
        </message>
        <message>
            <source>The photos to make safe, with what was found in each</source>
            <translation>Les photos à protéger, avec ce qui a été trouvé dans chacune</translation>
        </message>
        <message>
            <source>Photo under review</source>
            <translation>Photo en cours de vérification</translation>
        </message>
        <message>
            <source>The coloured areas will be destroyed in the exported copy. Drag to add one.</source>
            <translation>Les zones colorées seront détruites dans la copie exportée. Faites glisser la souris pour en ajouter une.</translation>
        </message>
        <message>
            <source>Frame</source>
            <translation>Image</translation>
        </message>
        <message>
            <source>The frame of the video under review; the regions shown are destroyed in it</source>
            <translation>L’image de la vidéo en cours de vérification ; les zones affichées y seront détruites</translation>
        </message>
        <message>
            <source>Frame under review</source>
            <translation>Image affichée</translation>
        </message>
        <message>
            <source>Start here</source>
            <translation>Commence ici</translation>
        </message>
        <message>
            <source>The selected region starts at this frame</source>
            <translation>La zone sélectionnée commence à cette image</translation>
        </message>
        <message>
            <source>A region drawn on a video hides its area in every frame; this makes the selected one start at the frame shown</source>
            <translation>Une zone tracée sur une vidéo masque sa surface dans toutes les images ; ce bouton la fait commencer à l’image affichée</translation>
        </message>
        <message>
            <source>End here</source>
            <translation>Finit ici</translation>
        </message>
        <message>
            <source>The selected region ends at this frame</source>
            <translation>La zone sélectionnée finit à cette image</translation>
        </message>
        <message>
            <source>A region drawn on a video hides its area in every frame; this makes the selected one end at the frame shown</source>
            <translation>Une zone tracée sur une vidéo masque sa surface dans toutes les images ; ce bouton la fait finir à l’image affichée</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>État</translation>
        </message>
        <message>
            <source>Export progress</source>
            <translation>Avancement de l’export</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>Annuler</translation>
        </message>
        <message>
            <source>Cancel the export</source>
            <translation>Annuler l’export</translation>
        </message>
        <message>
            <source>Drop photos or folders here</source>
            <translation>Déposez des photos ou des dossiers ici</translation>
        </message>
        <message>
            <source>crowdveil finds every face and hides it for good, and removes everything the file says about where, when and with what it was taken.</source>
            <translation>crowdveil trouve chaque visage et le masque définitivement, et supprime tout ce que le fichier dit du lieu, du moment et de l’appareil de la prise de vue.</translation>
        </message>
        <message>
            <source>Or use %1</source>
            <translation>Ou utilisez %1</translation>
        </message>
        <message>
            <source>%1 (%2)</source>
            <translation>%1 (%2)</translation>
        </message>
        <message>
            <source>Open photos…</source>
            <translation>Ouvrir des photos…</translation>
        </message>
        <message>
            <source>Open a folder…</source>
            <translation>Ouvrir un dossier…</translation>
        </message>
        <message>
            <source>Export selected…</source>
            <translation>Exporter la sélection…</translation>
        </message>
        <message>
            <source>Write safe copies of the selected photos to a folder</source>
            <translation>Écrire des copies sûres des photos sélectionnées dans un dossier</translation>
        </message>
        <message>
            <source>Export all…</source>
            <translation>Tout exporter…</translation>
        </message>
        <message>
            <source>Write safe copies of every checked photo to a folder</source>
            <translation>Écrire des copies sûres de toutes les photos vérifiées dans un dossier</translation>
        </message>
        <message>
            <source>Save report…</source>
            <translation>Enregistrer le rapport…</translation>
        </message>
        <message>
            <source>Save what the last export removed, as a JSON file</source>
            <translation>Enregistrer ce que le dernier export a supprimé, dans un fichier JSON</translation>
        </message>
        <message>
            <source>Clear the list</source>
            <translation>Vider la liste</translation>
        </message>
        <message>
            <source>Quit</source>
            <translation>Quitter</translation>
        </message>
        <message>
            <source>Undo</source>
            <translation>Annuler</translation>
        </message>
        <message>
            <source>Redo</source>
            <translation>Rétablir</translation>
        </message>
        <message>
            <source>Delete region</source>
            <translation>Supprimer la zone</translation>
        </message>
        <message>
            <source>Remove the selected region (it will not be hidden)</source>
            <translation>Retirer la zone sélectionnée (elle ne sera pas masquée)</translation>
        </message>
        <message>
            <source>Add a region</source>
            <translation>Ajouter une zone</translation>
        </message>
        <message>
            <source>Add a region in the middle of the view: the arrow keys move it, Alt with the arrows resizes it</source>
            <translation>Ajouter une zone au milieu de la vue : les flèches la déplacent, Alt avec les flèches la redimensionne</translation>
        </message>
        <message>
            <source>Box / ellipse</source>
            <translation>Rectangle / ellipse</translation>
        </message>
        <message>
            <source>Switch the selected region between box and ellipse</source>
            <translation>Changer la zone sélectionnée de rectangle en ellipse, ou l’inverse</translation>
        </message>
        <message>
            <source>Next photo</source>
            <translation>Photo suivante</translation>
        </message>
        <message>
            <source>Previous photo</source>
            <translation>Photo précédente</translation>
        </message>
        <message>
            <source>Next region</source>
            <translation>Zone suivante</translation>
        </message>
        <message>
            <source>Select the next region and zoom to it, largest faces first</source>
            <translation>Sélectionner la zone suivante et zoomer dessus, les plus grands visages d’abord</translation>
        </message>
        <message>
            <source>Previous region</source>
            <translation>Zone précédente</translation>
        </message>
        <message>
            <source>Select the previous region and zoom to it</source>
            <translation>Sélectionner la zone précédente et zoomer dessus</translation>
        </message>
        <message>
            <source>Zoom to region</source>
            <translation>Zoomer sur la zone</translation>
        </message>
        <message>
            <source>Zoom to the selected region</source>
            <translation>Zoomer sur la zone sélectionnée</translation>
        </message>
        <message>
            <source>Zoom in</source>
            <translation>Zoom avant</translation>
        </message>
        <message>
            <source>Zoom out</source>
            <translation>Zoom arrière</translation>
        </message>
        <message>
            <source>Fit to window</source>
            <translation>Ajuster à la fenêtre</translation>
        </message>
        <message>
            <source>Actual pixels</source>
            <translation>Taille réelle</translation>
        </message>
        <message>
            <source>Outlines</source>
            <translation>Contours</translation>
        </message>
        <message>
            <source>Draw each region's outline instead of a see-through fill</source>
            <translation>Dessiner le contour de chaque zone au lieu d’un remplissage transparent</translation>
        </message>
        <message>
            <source>Compare with the result</source>
            <translation>Comparer avec le résultat</translation>
        </message>
        <message>
            <source>Show the photo as it will be exported; again to see the original</source>
            <translation>Montrer la photo telle qu’elle sera exportée ; une seconde fois pour revoir l’original</translation>
        </message>
        <message>
            <source>How faces are destroyed in the exported files</source>
            <translation>Comment les visages sont détruits dans les fichiers exportés</translation>
        </message>
        <message>
            <source>Hide faces with:</source>
            <translation>Masquer les visages par :</translation>
        </message>
        <message>
            <source>Hide faces with</source>
            <translation>Masquer les visages par</translation>
        </message>
        <message>
            <source>&amp;File</source>
            <translation>&amp;Fichier</translation>
        </message>
        <message>
            <source>&amp;Edit</source>
            <translation>É&amp;dition</translation>
        </message>
        <message>
            <source>&amp;View</source>
            <translation>&amp;Affichage</translation>
        </message>
        <message>
            <source>&amp;Language</source>
            <translation>&amp;Langue</translation>
        </message>
        <message>
            <source>As the system</source>
            <translation>Comme le système</translation>
        </message>
        <message>
            <source>Photos and export</source>
            <translation>Photos et export</translation>
        </message>
        <message>
            <source>Review</source>
            <translation>Vérification</translation>
        </message>
        <message>
            <source>Solid fill</source>
            <translation>Aplat noir</translation>
        </message>
        <message>
            <source>Coarse mosaic</source>
            <translation>Mosaïque grossière</translation>
        </message>
        <message>
            <source>Heavy blur</source>
            <translation>Flou intense</translation>
        </message>
        <message>
            <source>Region %1 of %2 (largest first)</source>
            <translation>Zone %1 sur %2 (les plus grandes d’abord)</translation>
        </message>
        <message>
            <source>Language</source>
            <translation>Langue</translation>
        </message>
        <message>
            <source>The window will use this language the next time crowdveil starts.</source>
            <translation>La fenêtre sera dans cette langue au prochain démarrage de crowdveil.</translation>
        </message>
        <message>
            <source>Open photos</source>
            <translation>Ouvrir des photos</translation>
        </message>
        <message>
            <source>Photos and videos (%1);;All files (*)</source>
            <translation>Photos et vidéos (%1);;Tous les fichiers (*)</translation>
        </message>
        <message>
            <source>Open a folder of photos</source>
            <translation>Ouvrir un dossier de photos</translation>
        </message>
        <message>
            <source>%1: finding faces, frame %2 of %3</source>
            <translation>%1 : recherche des visages, image %2 sur %3</translation>
        </message>
        <message>
            <source>%1: writing, frame %2 of %3</source>
            <translation>%1 : écriture, image %2 sur %3</translation>
        </message>
        <message>
            <source>(about %1 s left)</source>
            <translation>(encore environ %1 s)</translation>
        </message>
        <message>
            <source>%1 of %2 files</source>
            <translation>%1 sur %2 fichiers</translation>
        </message>
        <message>
            <source>%1 of %2 frames</source>
            <translation>%1 sur %2 images</translation>
        </message>
        <message>
            <source>time left not known yet</source>
            <translation>durée restante encore inconnue</translation>
        </message>
        <message>
            <source>about %1 min %2 s left</source>
            <translation>encore environ %1 min %2 s</translation>
        </message>
        <message>
            <source>about %1 s left</source>
            <translation>encore environ %1 s</translation>
        </message>
        <message>
            <source>Select a region you drew first.</source>
            <translation>Sélectionnez d’abord une zone que vous avez tracée.</translation>
        </message>
        <message>
            <source>setting the frames of a region</source>
            <translation>le choix des images d’une zone</translation>
        </message>
        <message>
            <source>This region hides its area in frames %1 to %2.</source>
            <translation>Cette zone masque sa surface des images %1 à %2.</translation>
        </message>
        <message>
            <source>Loading…</source>
            <translation>Chargement…</translation>
        </message>
        <message>
            <source>Frame %1 of %2</source>
            <translation>Image %1 sur %2</translation>
        </message>
        <message>
            <source>Nothing to export yet: photos are still being checked.</source>
            <translation>Rien à exporter pour l’instant : les photos sont encore en cours de vérification.</translation>
        </message>
        <message>
            <source>Nothing to export yet.</source>
            <translation>Rien à exporter pour l’instant.</translation>
        </message>
        <message>
            <source>not exported: %1 exists and was not written by crowdveil; the copy there is not this photo's current version (Replace writes over it)</source>
            <translation>non exportée : %1 existe et n’a pas été écrit par crowdveil ; la copie qui s’y trouve n’est pas la version actuelle de cette photo (« Remplacer » l’écrase)</translation>
        </message>
        <message numerus="yes">
            <source>%Ln photo(s) already exported as they are now: skipped.</source>
            <translation>
                <numerusform>%Ln photo déjà exportée dans son état actuel : ignorée.</numerusform>
                <numerusform>%Ln photos déjà exportées dans leur état actuel : ignorées.</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%Ln file(s) not written by crowdveil were left as they are (%1): the copy there is not the current one of its photo. Choose Replace to write over it.</source>
            <translation>
                <numerusform>%Ln fichier que crowdveil n’a pas écrit a été laissé tel quel (%1) : la copie qui s’y trouve n’est pas la version actuelle de sa photo. Choisissez « Remplacer » pour l’écraser.</numerusform>
                <numerusform>%Ln fichiers que crowdveil n’a pas écrits ont été laissés tels quels (%1) : les copies qui s’y trouvent ne sont pas la version actuelle de leur photo. Choisissez « Remplacer » pour les écraser.</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%Ln photo(s) still being checked are not included.</source>
            <translation>
                <numerusform>%Ln photo encore en cours de vérification n’est pas incluse.</numerusform>
                <numerusform>%Ln photos encore en cours de vérification ne sont pas incluses.</numerusform>
            </translation>
        </message>
        <message>
            <source>Nothing exported.</source>
            <translation>Rien n’a été exporté.</translation>
        </message>
        <message numerus="yes">
            <source>Exporting %Ln photo(s)…</source>
            <translation>
                <numerusform>Export de %Ln photo…</numerusform>
                <numerusform>Export de %Ln photos…</numerusform>
            </translation>
        </message>
        <message>
            <source>Cancelling after the current photo…</source>
            <translation>Annulation après la photo en cours…</translation>
        </message>
        <message numerus="yes">
            <source>Exported %Ln photo(s).</source>
            <translation>
                <numerusform>%Ln photo exportée.</numerusform>
                <numerusform>%Ln photos exportées.</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%Ln failed (see the list).</source>
            <translation>
                <numerusform>%Ln a échoué (voir la liste).</numerusform>
                <numerusform>%Ln ont échoué (voir la liste).</numerusform>
            </translation>
        </message>
        <message>
            <source>Export cancelled.</source>
            <translation>Export annulé.</translation>
        </message>
        <message>
            <source>Save report</source>
            <translation>Enregistrer le rapport</translation>
        </message>
        <message>
            <source>JSON report (*.json)</source>
            <translation>Rapport JSON (*.json)</translation>
        </message>
        <message>
            <source>Report not saved</source>
            <translation>Rapport non enregistré</translation>
        </message>
        <message>
            <source>Export safe copies to…</source>
            <translation>Exporter les copies sûres vers…</translation>
        </message>
        <message>
            <source>Files already exist</source>
            <translation>Des fichiers existent déjà</translation>
        </message>
        <message numerus="yes">
            <source>… and %Ln more</source>
            <translation>
                <numerusform>… et %Ln autre</numerusform>
                <numerusform>… et %Ln autres</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%Ln file(s) already exist in the export folder. Skip existing keeps the ones crowdveil wrote from these photos as they are now, and writes the others again.</source>
            <translation>
                <numerusform>%Ln fichier existe déjà dans le dossier d’export. « Ignorer les existants » garde ceux que crowdveil a écrits à partir de ces photos dans leur état actuel, et écrit les autres de nouveau.</numerusform>
                <numerusform>%Ln fichiers existent déjà dans le dossier d’export. « Ignorer les existants » garde ceux que crowdveil a écrits à partir de ces photos dans leur état actuel, et écrit les autres de nouveau.</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%Ln of them were not written by crowdveil (or were changed since): Skip existing leaves them as they are, so what is published there is not the current photo:</source>
            <translation>
                <numerusform>%Ln d’entre eux n’a pas été écrit par crowdveil (ou a été modifié depuis) : « Ignorer les existants » le laisse tel quel, donc ce qui est publié là n’est pas la photo actuelle :</numerusform>
                <numerusform>%Ln d’entre eux n’ont pas été écrits par crowdveil (ou ont été modifiés depuis) : « Ignorer les existants » les laisse tels quels, donc ce qui est publié là n’est pas la photo actuelle :</numerusform>
            </translation>
        </message>
        <message>
            <source>Replace</source>
            <translation>Remplacer</translation>
        </message>
        <message>
            <source>Skip existing</source>
            <translation>Ignorer les existants</translation>
        </message>
        <message>
            <source>Checking photos… %1 of %2 done. You can review the finished ones now.</source>
            <translation>Vérification des photos… %1 sur %2 terminées. Vous pouvez déjà examiner celles qui sont prêtes.</translation>
        </message>
        <message numerus="yes">
            <source>%Ln file(s) checked.</source>
            <translation>
                <numerusform>%Ln fichier vérifié.</numerusform>
                <numerusform>%Ln fichiers vérifiés.</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%Ln cannot be used.</source>
            <translation>
                <numerusform>%Ln est inutilisable.</numerusform>
                <numerusform>%Ln sont inutilisables.</numerusform>
            </translation>
        </message>
        <message>
            <source>Drag on the photo to hide anything missed · %1 removes the selected region · %2 goes to the next region · %3 compares with the result · %4 undoes</source>
            <translation>Faites glisser sur la photo pour masquer un oubli · %1 retire la zone sélectionnée · %2 passe à la zone suivante · %3 compare avec le résultat · %4 annule</translation>
        </message>
    </context>
    <context>
        <name>PhotoItem</name>
        <message>
            <source>Waiting to be checked…</source>
            <translation>En attente de vérification…</translation>
        </message>
        <message>
            <source>Finding faces…</source>
            <translation>Recherche des visages…</translation>
        </message>
        <message>
            <source>Error: %1</source>
            <translation>Erreur : %1</translation>
        </message>
        <message numerus="yes">
            <source>video, %1 s, %Ln frame(s)</source>
            <translation>
                <numerusform>vidéo, %1 s, %Ln image</numerusform>
                <numerusform>vidéo, %1 s, %Ln images</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>up to %Ln region(s) in a frame</source>
            <translation>
                <numerusform>jusqu’à %Ln zone par image</numerusform>
                <numerusform>jusqu’à %Ln zones par image</numerusform>
            </translation>
        </message>
        <message>
            <source>No faces found</source>
            <translation>Aucun visage trouvé</translation>
        </message>
        <message numerus="yes">
            <source>%Ln region(s)</source>
            <translation>
                <numerusform>%Ln zone</numerusform>
                <numerusform>%Ln zones</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%Ln metadata item(s)</source>
            <translation>
                <numerusform>%Ln métadonnée</numerusform>
                <numerusform>%Ln métadonnées</numerusform>
            </translation>
        </message>
        <message>
            <source>no metadata</source>
            <translation>aucune métadonnée</translation>
        </message>
        <message>
            <source>exporting…</source>
            <translation>export en cours…</translation>
        </message>
        <message>
            <source>exported</source>
            <translation>exportée</translation>
        </message>
        <message>
            <source>export failed: %1</source>
            <translation>échec de l’export : %1</translation>
        </message>
        <message>
            <source>no such file</source>
            <translation>fichier introuvable</translation>
        </message>
    </context>
    <context>
        <name>RevealPanel</name>
        <message>
            <source>What this photo reveals</source>
            <translation>Ce que révèle cette photo</translation>
        </message>
        <message>
            <source>Drop photos or folders on this window to check them.</source>
            <translation>Déposez des photos ou des dossiers sur cette fenêtre pour les vérifier.</translation>
        </message>
        <message>
            <source>This file cannot be read:</source>
            <translation>Ce fichier est illisible :</translation>
        </message>
        <message>
            <source>Still being checked…</source>
            <translation>Vérification en cours…</translation>
        </message>
        <message>
            <source>No faces found. Look carefully and draw over any the detector missed.</source>
            <translation>Aucun visage trouvé. Regardez attentivement et dessinez par-dessus ceux que le détecteur aurait manqués.</translation>
        </message>
        <message numerus="yes">
            <source>Up to %Ln region(s) in a frame will be destroyed.</source>
            <translation>
                <numerusform>Jusqu’à %Ln zone par image sera détruite.</numerusform>
                <numerusform>Jusqu’à %Ln zones par image seront détruites.</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%Ln region(s) will be destroyed.</source>
            <translation>
                <numerusform>%Ln zone sera détruite.</numerusform>
                <numerusform>%Ln zones seront détruites.</numerusform>
            </translation>
        </message>
        <message>
            <source>The file also carries:</source>
            <translation>Le fichier contient aussi :</translation>
        </message>
        <message>
            <source>Export writes a new file from the pixels alone: none of the above is kept.</source>
            <translation>L’export écrit un nouveau fichier à partir des seuls pixels : rien de ce qui précède n’est conservé.</translation>
        </message>
        <message>
            <source>No metadata found in the file.</source>
            <translation>Aucune métadonnée trouvée dans le fichier.</translation>
        </message>
        <message>
            <source>Exported to %1</source>
            <translation>Exportée vers %1</translation>
        </message>
    </context>
    <context>
        <name>ReviewView</name>
        <message>
            <source>resizing a region</source>
            <translation>le redimensionnement d’une zone</translation>
        </message>
        <message>
            <source>moving a region</source>
            <translation>le déplacement d’une zone</translation>
        </message>
        <message>
            <source>Result: as it will be exported</source>
            <translation>Résultat : tel qu’il sera exporté</translation>
        </message>
        <message>
            <source>changing a region's shape</source>
            <translation>le changement de forme d’une zone</translation>
        </message>
    </context>
</TS>
